"""BaseRepository on the real models: CRUD per primary key strategy, filters, soft and hard delete, audit columns
filled from the principal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pytest_svc import MakeUser, PrimaryKeyStrategy, SvcUser
from reference_app.db import acting_as
from reference_app.documents.models import Document, Tag
from reference_app.errors import NotFoundError
from reference_app.repository import CollectionFilter, RangeFilter, SearchFilter
from reference_app.users.models import User
from tests.reference_app.repository.cases import ModelCase, documents, make_documents, stored, tags, users

pytestmark = pytest.mark.asyncio


# -- primary key strategies --------------------------------------------------------------------------------------


async def test_create_assigns_a_key_of_the_models_strategy(
    db_session: AsyncSession, case: ModelCase, primary_key_strategy: PrimaryKeyStrategy
) -> None:
    obj = await case.repository.create(db_session, case.make(1))

    if primary_key_strategy.kind == "int":
        assert type(obj.id) is int
    else:
        assert isinstance(obj.id, uuid.UUID)
        assert obj.id.version == int(primary_key_strategy.kind[-1])
    assert await case.repository.get(db_session, obj.id) is obj


async def test_an_explicit_key_is_kept_and_found(
    db_session: AsyncSession, case: ModelCase, primary_key_strategy: PrimaryKeyStrategy
) -> None:
    key = primary_key_strategy.new_id()
    obj = case.make(2)
    obj.id = key  # type: ignore[attr-defined]

    await case.repository.create(db_session, obj)
    db_session.expunge_all()  # found by a query, not in the identity map

    found = await case.repository.get_or_raise(db_session, key)
    assert found.id == key
    assert getattr(found, case.text_field) == getattr(obj, case.text_field)


async def test_get_of_a_missing_key_is_none_and_get_or_raise_is_not_found(
    db_session: AsyncSession, case: ModelCase, primary_key_strategy: PrimaryKeyStrategy
) -> None:
    missing = primary_key_strategy.new_id()

    assert await case.repository.get(db_session, missing) is None
    with pytest.raises(NotFoundError) as excinfo:
        await case.repository.get_or_raise(db_session, missing)
    assert excinfo.value.status == 404
    assert str(missing) in excinfo.value.detail


async def test_uuid7_keys_sort_in_creation_order(db_session: AsyncSession) -> None:
    created = [await users.create(db_session, User(email=f"u{n}@example.com", name="U")) for n in range(20)]

    listed = await users.list(db_session)  # ordered by primary key

    assert [user.id for user in listed] == [user.id for user in created]
    milliseconds = created[0].id.int >> 80  # RFC 9562: the first 48 bits are the Unix time in ms
    assert abs(datetime.fromtimestamp(milliseconds / 1000, UTC) - datetime.now(UTC)) < timedelta(minutes=1)


async def test_timestamps_are_aware_utc_as_read_back(db_session: AsyncSession, utc_now: datetime) -> None:
    document = await documents.create(db_session, Document(title="t"))
    db_session.expunge_all()

    loaded = await documents.get_or_raise(db_session, document.id)

    for value in (loaded.created_at, loaded.updated_at):
        assert value.utcoffset() == timedelta(0)
        assert utc_now <= value <= datetime.now(UTC)


# -- reads ---------------------------------------------------------------------------------------------------------


async def test_list_and_count_apply_every_kind_of_filter(db_session: AsyncSession) -> None:
    _alpha, beta, gamma, delta = await make_documents(
        db_session, "Alpha report", "Beta memo", "Gamma report", "Delta 100%", tenant_id="t1"
    )
    await make_documents(db_session, "Alpha report", tenant_id="t2")

    async def titles(filters: Any) -> list[str]:
        found = await documents.list(db_session, filters=filters, order_by="title")
        assert await documents.count(db_session, filters=filters) == len(found)
        return [document.title for document in found]

    assert await titles({"tenant_id": "t1", "title": "Alpha report"}) == ["Alpha report"]
    assert await titles({"tenant_id": None}) == []
    assert await titles([SearchFilter("title", "REPORT"), Document.tenant_id == "t1"]) == [
        "Alpha report",
        "Gamma report",
    ]
    # A literal % is searched for, not used as a wildcard.
    assert await titles([SearchFilter("title", "0%")]) == ["Delta 100%"]
    assert await titles([CollectionFilter("id", [beta.id, gamma.id, 999_999])]) == ["Beta memo", "Gamma report"]
    assert await titles([CollectionFilter("id", [])]) == []
    assert await titles([RangeFilter("id", lower=beta.id, upper=delta.id)]) == [
        "Beta memo",
        "Delta 100%",
        "Gamma report",
    ]
    assert await titles([RangeFilter("id", lower=beta.id, upper=delta.id, inclusive=False)]) == ["Gamma report"]
    assert len(await titles([RangeFilter("id")])) == 5  # no bounds: no condition


async def test_list_orders_pages_and_breaks_ties_by_primary_key(db_session: AsyncSession) -> None:
    first, second, third, fourth = await make_documents(db_session, "b", "a", "b", "a")

    def ids(found: list[Document]) -> list[int]:
        return [document.id for document in found]

    assert ids(await documents.list(db_session)) == [first.id, second.id, third.id, fourth.id]
    assert ids(await documents.list(db_session, order_by="title")) == [second.id, fourth.id, first.id, third.id]
    assert ids(await documents.list(db_session, order_by="-title")) == [first.id, third.id, second.id, fourth.id]
    assert ids(await documents.list(db_session, order_by=[Document.title.desc()], limit=3, offset=1)) == [
        third.id,
        second.id,
        fourth.id,
    ]


async def test_unknown_column_names_are_rejected(db_session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="no column 'nope'"):
        await documents.list(db_session, filters={"nope": 1})
    with pytest.raises(ValueError, match="no column 'nope'"):
        await documents.list(db_session, order_by="-nope")
    with pytest.raises(ValueError, match="not a column of Document"):
        await documents.paginate_cursor(db_session, 10, order_by=Tag.name)


async def test_paginate_offset_gives_the_page_and_the_total(db_session: AsyncSession) -> None:
    created = await make_documents(db_session, *(f"doc {n}" for n in range(7)))

    page = await documents.paginate_offset(db_session, limit=3, offset=3)
    last = await documents.paginate_offset(db_session, limit=3, offset=6)

    assert [document.id for document in page.items] == [document.id for document in created[3:6]]
    assert (page.total, page.limit, page.offset, page.has_next) == (7, 3, 3, True)
    assert ([document.id for document in last.items], last.has_next) == ([created[6].id], False)
    with pytest.raises(ValueError, match="limit"):
        await documents.paginate_offset(db_session, limit=0)


# -- updates and audit columns ----------------------------------------------------------------------------------


async def test_audit_columns_come_from_the_current_principal(
    db_session: AsyncSession, current_user: SvcUser, make_user: MakeUser
) -> None:
    editor = make_user(email="editor@example.com")
    with acting_as(current_user.email):
        document = await documents.create(db_session, Document(title="Plan"))
    assert (document.created_by, document.updated_by) == (current_user.email, current_user.email)
    created_at = document.updated_at

    with acting_as(editor.email):
        await documents.update(db_session, document.id, title="Plan B")
    with acting_as(None):
        await documents.update(db_session, document, body="no principal: updated_by stays")

    [row] = await stored(db_session, Document, id=document.id)
    assert (row["title"], row["created_by"], row["updated_by"]) == ("Plan B", current_user.email, editor.email)
    assert row["updated_at"] > created_at
    assert row["created_at"] == document.created_at


async def test_an_audit_value_set_by_hand_wins(db_session: AsyncSession, current_user: SvcUser) -> None:
    with acting_as(current_user.email):
        document = await documents.create(db_session, Document(title="Imported", created_by="importer@example.com"))
        await documents.update(db_session, document, title="Edited", updated_by="robot@example.com")

    assert (document.created_by, document.updated_by) == ("importer@example.com", "robot@example.com")


async def test_rows_written_without_a_principal_have_no_author(db_session: AsyncSession) -> None:
    document = await documents.create(db_session, Document(title="Nightly job"))

    assert (document.created_by, document.updated_by) == (None, None)


async def test_update_refuses_unknown_columns_and_the_primary_key(db_session: AsyncSession) -> None:
    [document] = await make_documents(db_session, "Plan")

    with pytest.raises(ValueError, match="no column 'colour'"):
        await documents.update(db_session, document, colour="red")
    with pytest.raises(ValueError, match="primary key"):
        await documents.update(db_session, document, id=5)
    with pytest.raises(NotFoundError):
        await documents.update(db_session, 999_999, title="x")


# -- soft and hard delete -----------------------------------------------------------------------------------------


async def test_delete_is_soft_unless_hard_is_asked(
    db_session: AsyncSession, with_soft_delete: bool, current_user: SvcUser
) -> None:
    keep, target = await make_documents(db_session, "keep", "target")

    with acting_as(current_user.email):
        await documents.delete(db_session, target.id, hard=not with_soft_delete)

    assert await documents.get(db_session, target.id) is None
    assert [document.id for document in await documents.list(db_session)] == [keep.id]
    assert await documents.count(db_session) == 1
    rows = await stored(db_session, Document, id=target.id)
    if with_soft_delete:
        [row] = rows
        assert row["deleted_at"] is not None
        assert row["deleted_by"] == row["updated_by"] == current_user.email
        assert target.is_deleted
        assert await documents.get(db_session, target.id, include_deleted=True) is target
        assert await documents.count(db_session, include_deleted=True) == 2
        with pytest.raises(NotFoundError):  # already deleted: not found for another soft delete
            await documents.delete(db_session, target.id)
    else:
        assert rows == []
        assert await documents.count(db_session, include_deleted=True) == 1


async def test_hard_delete_purges_a_soft_deleted_row(db_session: AsyncSession) -> None:
    [document] = await make_documents(db_session, "old")
    await documents.delete(db_session, document)

    await documents.delete(db_session, document.id, hard=True)

    assert await stored(db_session, Document, id=document.id) == []


async def test_a_model_without_soft_delete_is_always_deleted(db_session: AsyncSession) -> None:
    tag = await tags.create(db_session, Tag(name="gone", tenant_id="t1"))

    await tags.delete(db_session, tag.id)

    assert await stored(db_session, Tag, id=tag.id) == []
    with pytest.raises(TypeError, match="no soft delete"):
        await tags.restore(db_session, tag)


async def test_restore_brings_a_soft_deleted_row_back(db_session: AsyncSession) -> None:
    [document] = await make_documents(db_session, "back")
    await documents.delete(db_session, document.id)

    restored = await documents.restore(db_session, document.id)

    assert restored is document
    assert (document.deleted_at, document.deleted_by, document.is_deleted) == (None, None, False)
    assert await documents.get(db_session, document.id) is document


async def test_is_deleted_works_in_queries(db_session: AsyncSession) -> None:
    live, deleted = await make_documents(db_session, "live", "deleted")
    deleted.soft_delete(by="admin@example.com")
    deleted.soft_delete(by="someone-else@example.com")  # a second delete keeps the first one's author
    await db_session.flush()

    found = await db_session.scalars(select(Document.id).where(Document.is_deleted))
    alive = await db_session.scalars(select(Document.id).where(~Document.is_deleted))

    assert (list(found), list(alive)) == ([deleted.id], [live.id])
    assert deleted.deleted_by == "admin@example.com"


async def test_reads_see_soft_deleted_rows_only_when_asked(db_session: AsyncSession) -> None:
    live, deleted = await make_documents(db_session, "live", "deleted")
    await documents.delete(db_session, deleted)

    offset_page = await documents.paginate_offset(db_session, limit=10)
    cursor_page = await documents.paginate_cursor(db_session, limit=10)
    everything = await documents.paginate_offset(db_session, limit=10, include_deleted=True)
    every_cursor = await documents.paginate_cursor(db_session, limit=10, include_deleted=True)

    assert [d.id for d in offset_page.items] == [d.id for d in cursor_page.items] == [live.id]
    assert offset_page.total == 1
    assert [d.id for d in everything.items] == [d.id for d in every_cursor.items] == [live.id, deleted.id]
    assert [d.id for d in await documents.list(db_session, include_deleted=True)] == [live.id, deleted.id]


async def test_preferences_changed_in_place_are_saved(db_session: AsyncSession) -> None:
    user = await users.create(db_session, User(email="p@example.com", name="P", preferences={"theme": "light"}))

    user.preferences["theme"] = "dark"
    await db_session.flush()

    [row] = await stored(db_session, User, id=user.id)
    assert row["preferences"] == {"theme": "dark"}
    assert await db_session.scalar(select(func.count()).select_from(User)) == 1
