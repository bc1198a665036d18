"""Keyset pagination through BaseRepository.paginate_cursor: long walks while the table changes, NULL ordering,
and cursors that were tampered with."""

from __future__ import annotations

import base64
import json
import random
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from reference_app.documents.models import Document
from reference_app.errors import BadRequestError
from reference_app.repository import BaseRepository, Cursor, CursorCodec, CursorPage
from reference_app.users.models import User

pytestmark = pytest.mark.asyncio

documents = BaseRepository(Document)
users = BaseRepository(User)

# Distinct first letters: every collation (SQLite's binary, PostgreSQL's locale) orders them the same way.
AUTHORS: list[str | None] = ["ann@example.com", "bob@example.com", "cyd@example.com", "dee@example.com", None]


def listing_key(author: str | None, id: int, descending: bool) -> tuple[bool, int, int]:
    """Where a document sits when listed by author (NULLs last either way), then id: what the repository promises."""
    rank = AUTHORS.index(author)
    return (author is None, -rank if descending else rank, -id if descending else id)


def ids(page: CursorPage[Document]) -> list[int]:
    return [document.id for document in page.items]


class ChangingTable:
    """The documents of a walk, and the inserts and deletes made between its pages."""

    def __init__(self, session: AsyncSession, authors: dict[int, str | None], descending: bool) -> None:
        self.session = session
        self.authors = authors  # every row ever created, live or not
        self.live = set(authors)
        self.descending = descending
        self.random = random.Random(20_240_601)

    def key(self, id: int) -> tuple[bool, int, int]:
        return listing_key(self.authors[id], id, self.descending)

    async def change(self) -> tuple[set[int], set[int]]:
        """Insert 5 rows and delete 6 (soft and hard, seen or not); return (inserted, deleted) ids."""
        new = await documents.bulk_create(
            self.session, [Document(title="new", created_by=self.random.choice(AUTHORS)) for _ in range(5)]
        )
        doomed = self.random.sample(sorted(self.live), 6)
        assert await documents.delete_many(self.session, doomed[:3]) == 3
        assert await documents.delete_many(self.session, doomed[3:], hard=True) == 3
        for document in new:
            self.authors[document.id] = document.created_by
        self.live = (self.live | {document.id for document in new}) - set(doomed)
        return {document.id for document in new}, set(doomed)

    async def walk(
        self, cursor: str | None, *, forward: bool, limit: int, boundary: int | None = None
    ) -> tuple[list[int], str | None, int]:
        """Follow cursors to the end of the listing in one direction, changing the table after every page.

        ``cursor`` starts after (or before) the row ``boundary``. Returns the ids seen in listing order, the last
        page's cursor pointing back the other way, and the last page's row nearest the start of the walk.
        Checks that no row is seen twice or out of order, no deleted row is seen, and every row beyond the
        boundary that is live for the whole walk, or inserted ahead of the cursor, is seen.
        """
        seen: list[int] = []
        deleted: set[int] = set()
        inserted_ahead: set[int] = set()
        start = set(self.live)
        while True:
            page = await documents.paginate_cursor(
                self.session, limit, cursor, order_by="created_by", descending=self.descending
            )
            page_ids = ids(page) if forward else ids(page)[::-1]
            assert not deleted & set(page_ids), "a deleted row was listed"
            seen.extend(page_ids)
            cursor = page.next_cursor if forward else page.prev_cursor
            if cursor is None:
                break
            inserted, removed = await self.change()
            deleted |= removed
            position = self.key(seen[-1])
            inserted_ahead |= {id for id in inserted if (self.key(id) > position) == forward}
        if not forward:
            seen.reverse()
        assert len(seen) == len(set(seen)), "a row was listed twice"
        keys = [self.key(id) for id in seen]
        assert keys == sorted(keys), "the pages are out of order"
        if boundary is None:
            required = start
        else:
            edge = self.key(boundary)
            required = {id for id in start if (self.key(id) > edge if forward else self.key(id) < edge)}
        assert not (required - deleted) - set(seen), "a row that was there all along was skipped"
        assert not (inserted_ahead - deleted) - set(seen), "a row inserted ahead of the cursor was skipped"
        back = page.prev_cursor if forward else page.next_cursor
        return seen, back, page_ids[0] if forward else page_ids[-1]


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_walking_10000_rows_both_ways_while_rows_come_and_go(db_session: AsyncSession, descending: bool) -> None:
    rows = [{"title": f"doc {n}", "created_by": AUTHORS[n % len(AUTHORS)]} for n in range(10_000)]
    await db_session.execute(insert(Document), rows)
    authors = {id: author for id, author in await db_session.execute(select(Document.id, Document.created_by))}
    table = ChangingTable(db_session, authors, descending)

    forward, back, last_page_start = await table.walk(None, forward=True, limit=250)
    assert len(forward) >= 10_000 - 40 * 6  # about 40 pages, at most 6 deletions after each
    assert back is not None
    backward, _, _ = await table.walk(back, forward=False, limit=250, boundary=last_page_start)

    # Back from before the last forward page to the very start, with nothing changed after the final page.
    assert table.key(backward[-1]) < table.key(last_page_start)
    assert backward[0] == min(table.live, key=table.key)


async def test_nulls_come_last_in_both_directions(db_session: AsyncSession) -> None:
    created = await documents.bulk_create(
        db_session, [Document(title=str(n), created_by=author) for n, author in enumerate([None, "b", "a", None, "c"])]
    )
    null_1, b, a, null_2, c = (document.id for document in created)

    async def walk(descending: bool) -> list[list[int]]:
        pages, cursor = [], None
        while True:
            page = await documents.paginate_cursor(
                db_session, 2, cursor, order_by=Document.created_by, descending=descending
            )
            pages.append(ids(page))
            if (cursor := page.next_cursor) is None:
                return pages

    assert await walk(descending=False) == [[a, b], [c, null_1], [null_2]]
    assert await walk(descending=True) == [[c, b], [a, null_2], [null_1]]


async def test_prev_cursor_returns_the_same_pages_backwards(db_session: AsyncSession) -> None:
    created = await documents.bulk_create(db_session, [Document(title=str(n)) for n in range(7)])
    all_ids = [document.id for document in created]

    first = await documents.paginate_cursor(db_session, 3)
    second = await documents.paginate_cursor(db_session, 3, first.next_cursor)
    third = await documents.paginate_cursor(db_session, 3, second.next_cursor)
    back_to_second = await documents.paginate_cursor(db_session, 3, third.prev_cursor)
    back_to_first = await documents.paginate_cursor(db_session, 3, back_to_second.prev_cursor)

    assert [ids(first), ids(second), ids(third)] == [all_ids[:3], all_ids[3:6], all_ids[6:]]
    assert (first.prev_cursor, third.next_cursor) == (None, None)
    assert ids(back_to_second) == ids(second)
    assert ids(back_to_first) == ids(first)
    assert back_to_first.prev_cursor is None


async def test_a_page_emptied_by_deletes_still_leads_back(db_session: AsyncSession) -> None:
    created = await documents.bulk_create(db_session, [Document(title=str(n)) for n in range(4)])
    first = await documents.paginate_cursor(db_session, 2)
    await documents.delete_many(db_session, [document.id for document in created[2:]])

    empty = await documents.paginate_cursor(db_session, 2, first.next_cursor)
    back = await documents.paginate_cursor(db_session, 2, empty.prev_cursor)
    forward_again = await documents.paginate_cursor(db_session, 2, back.next_cursor)

    assert (ids(empty), empty.next_cursor) == ([], None)
    assert ids(back) == ids(first)
    assert ids(forward_again) == []


async def test_a_previous_page_emptied_by_deletes_still_leads_forward(db_session: AsyncSession) -> None:
    created = await documents.bulk_create(db_session, [Document(title=str(n)) for n in range(4)])
    second = await documents.paginate_cursor(
        db_session, 2, (await documents.paginate_cursor(db_session, 2)).next_cursor
    )
    await documents.delete_many(db_session, [document.id for document in created[:2]], hard=True)

    empty = await documents.paginate_cursor(db_session, 2, second.prev_cursor)
    again = await documents.paginate_cursor(db_session, 2, empty.next_cursor)

    assert (ids(empty), empty.prev_cursor) == ([], None)
    assert ids(again) == ids(second) == [document.id for document in created[2:]]


async def test_an_empty_listing_is_one_empty_page(db_session: AsyncSession) -> None:
    page = await documents.paginate_cursor(db_session, 10)

    assert (page.items, page.next_cursor, page.prev_cursor) == ([], None, None)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("order_by", ["id", "created_at", "locale"])
async def test_cursors_carry_uuid_datetime_and_text_positions(
    db_session: AsyncSession, order_by: str, descending: bool
) -> None:
    created = await users.bulk_create(
        db_session,
        [User(email=f"u{n}@example.com", name="U", locale=["de", None, "en"][n % 3]) for n in range(8)],
    )

    def value(user: User) -> Any:
        return getattr(user, order_by)

    present = sorted((u for u in created if value(u) is not None), key=lambda u: (value(u), u.id), reverse=descending)
    absent = sorted((u for u in created if value(u) is None), key=lambda u: u.id, reverse=descending)
    expected = present + absent  # NULLs last in both directions

    seen: list[uuid.UUID] = []
    cursor: str | None = None
    while True:
        page = await users.paginate_cursor(db_session, 3, cursor, order_by=order_by, descending=descending)
        seen.extend(user.id for user in page.items)
        if (cursor := page.next_cursor) is None:
            break

    assert seen == [user.id for user in expected]


# -- hypothesis: pages always add up to the sorted table --------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    authors=st.lists(st.sampled_from(AUTHORS), max_size=25),
    limit=st.integers(min_value=1, max_value=6),
    descending=st.booleans(),
)
async def test_pages_add_up_to_the_sorted_rows(
    db_session: AsyncSession, authors: list[str | None], limit: int, descending: bool
) -> None:
    # db_session lives for the whole test, not per example: each example writes inside a savepoint it undoes.
    savepoint = await db_session.begin_nested()
    try:
        created = await documents.bulk_create(db_session, [Document(title="h", created_by=a) for a in authors])
        expected = [d.id for d in sorted(created, key=lambda d: listing_key(d.created_by, d.id, descending))]

        pages: list[list[int]] = []
        cursor: str | None = None
        page: CursorPage[Document] | None = None
        while page is None or cursor is not None:
            page = await documents.paginate_cursor(
                db_session, limit, cursor, order_by="created_by", descending=descending
            )
            pages.append(ids(page))
            cursor = page.next_cursor
        assert [id for chunk in pages for id in chunk] == expected
        assert all(len(chunk) == limit for chunk in pages[:-1])

        # And back from the last page: the same rows before it, in the same order.
        back: list[int] = []
        cursor = page.prev_cursor
        while cursor is not None:
            page = await documents.paginate_cursor(
                db_session, limit, cursor, order_by="created_by", descending=descending
            )
            back[:0] = ids(page)
            cursor = page.prev_cursor
        assert back == expected[: len(expected) - len(pages[-1])]
    finally:
        await savepoint.rollback()


# -- cursors from clients -----------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def flip(text: str, index: int) -> str:
    """``text`` with one base64 character changed."""
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


async def a_real_cursor(db_session: AsyncSession) -> str:
    await documents.bulk_create(db_session, [Document(title=str(n), created_by="ann@example.com") for n in range(3)])
    cursor = (await documents.paginate_cursor(db_session, 1, order_by="created_by")).next_cursor
    assert cursor is not None
    return cursor


def tamperings(cursor: str) -> dict[str, str]:
    """Broken variants of a real ``cursor``, by name."""
    payload, mac = cursor.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    moved = b64(json.dumps({**body, "p": ["i", body["p"][1] + 1]}, separators=(",", ":")).encode())
    return {
        "empty": "",
        "garbage": "not a cursor",
        "no-signature": payload,
        "one-dot-only": ".",
        "payload-changed": f"{flip(payload, 5)}.{mac}",
        "signature-changed": f"{payload}.{flip(mac, 3)}",
        "position-moved-old-signature": f"{moved}.{mac}",
        "signature-truncated": cursor[:-1],
        "padding-added": cursor + "==",
        "whitespace": f" {cursor}",
        "non-ascii": cursor + "é",
        "huge": "A" * 100_000 + "." + mac,
        "two-signatures": f"{cursor}.{mac}",
        "json-without-signature": b64(b'{"v":1}') + "." + "A" * 22,
    }


TAMPERINGS = [
    "empty",
    "garbage",
    "no-signature",
    "one-dot-only",
    "payload-changed",
    "signature-changed",
    "position-moved-old-signature",
    "signature-truncated",
    "padding-added",
    "whitespace",
    "non-ascii",
    "huge",
    "two-signatures",
    "json-without-signature",
]


@pytest.mark.parametrize("tampering", TAMPERINGS)
async def test_tampered_and_malformed_cursors_are_bad_requests(db_session: AsyncSession, tampering: str) -> None:
    variants = tamperings(await a_real_cursor(db_session))
    assert list(variants) == TAMPERINGS
    bad = variants[tampering]

    with pytest.raises(BadRequestError) as excinfo:
        await documents.paginate_cursor(db_session, 1, bad, order_by="created_by")

    assert excinfo.value.status == 400
    assert excinfo.value.detail.startswith("The pagination cursor is not valid")


@pytest.mark.parametrize(
    "listing",
    [{"order_by": "title"}, {"order_by": "created_by", "descending": True}, {}],
    ids=["other-column", "other-direction", "by-primary-key"],
)
async def test_a_cursor_of_another_listing_is_a_bad_request(db_session: AsyncSession, listing: dict[str, Any]) -> None:
    cursor = await a_real_cursor(db_session)

    with pytest.raises(BadRequestError, match="another listing"):
        await documents.paginate_cursor(db_session, 1, cursor, **listing)


async def test_a_cursor_signed_with_another_key_is_a_bad_request(db_session: AsyncSession) -> None:
    other = BaseRepository(Document, cursor_key=b"another deployment's key")
    await documents.bulk_create(db_session, [Document(title=str(n)) for n in range(3)])
    foreign = (await other.paginate_cursor(db_session, 1)).next_cursor
    assert foreign is not None

    with pytest.raises(BadRequestError):
        await documents.paginate_cursor(db_session, 1, foreign)
    assert ids(await other.paginate_cursor(db_session, 5, foreign)) != []


@pytest.mark.parametrize(
    ("value", "pk"),
    [("not a number", 1), (1, "1"), (None, 1), (True, 1), (1, None), (1.5, 1)],
    ids=["text-for-int", "text-pk", "null-for-not-null", "bool-for-int", "null-pk", "float-for-int"],
)
async def test_a_signed_cursor_with_values_of_the_wrong_type_is_a_bad_request(
    db_session: AsyncSession, value: Any, pk: Any
) -> None:
    # Even with the key (a leaked secret, a bug elsewhere), values must decode to the column's type.
    key = b"k" * 32
    repository = BaseRepository(Document, cursor_key=key)
    forged = CursorCodec(key).encode(Cursor("documents", "id", False, "next", False, value, pk))

    with pytest.raises(BadRequestError):
        await repository.paginate_cursor(db_session, 1, forged)
