"""Record assertion helpers (audit, soft delete, timestamps, keys): what passes, what a failure tells the reader."""

from __future__ import annotations

import pytest

from pytest_svc import assert_audit_trail
from tests.plugin.inner_runs import run_helper_checks


@pytest.mark.parametrize("assert_mode", ["rewrite", "plain"])
def test_assert_audit_trail(sample_project: pytest.Pytester, assert_mode: str) -> None:
    result = run_helper_checks(
        sample_project,
        """
        from types import SimpleNamespace
        from pytest_svc import assert_audit_trail

        def test_passes():
            doc = SimpleNamespace(created_by="ann@example.com", updated_by=None)
            assert_audit_trail(doc, created_by="ann@example.com", updated_by=None)
            assert_audit_trail({"created_by": "ann@example.com"}, created_by="ann@example.com")

        def test_fails():
            doc = SimpleNamespace(created_by=None, updated_by="bob@example.com")
            assert_audit_trail(doc, created_by="ann@example.com", updated_by="ann@example.com")
        """,
        f"--assert={assert_mode}",
    )
    # The messages are explicit, so they read the same without assertion rewriting.
    result.stdout.fnmatch_lines(
        [
            ">*assert_audit_trail(doc, created_by=*",
            "E *AssertionError: assert_audit_trail: SimpleNamespace does not match",
            "E *- created_by",
            "E *    expected: 'ann@example.com'",
            "E *    actual:   None",
            "E *    fix: set created_by from the principal of the request that created it",
            "E *- updated_by",
            "E *    expected: 'ann@example.com'",
            "E *    actual:   'bob@example.com'",
            "E *    fix: set updated_by from the principal of the request that last updated it",
        ]
    )


def test_assert_soft_deleted(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        from datetime import UTC, datetime
        from types import SimpleNamespace
        from pytest_svc import assert_soft_deleted

        def test_passes():
            row = SimpleNamespace(deleted_at=datetime.now(UTC), deleted_by="admin@example.com", is_deleted=True)
            assert_soft_deleted(row, deleted_by="admin@example.com")
            assert_soft_deleted({"deleted_at": "2024-01-01T00:00:00Z"})

        def test_fails():
            row = SimpleNamespace(deleted_at=None, deleted_by=None, is_deleted=False)
            assert_soft_deleted(row, deleted_by="admin@example.com")
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "E *- deleted_at",
            "E *    expected: a datetime",
            "E *    actual:   None",
            "E *    fix: delete through the soft-delete path (obj.soft_delete(by=...)), not session.delete()",
            "E *- is_deleted",
            "E *    expected: True",
            "E *    actual:   False",
            "E *- deleted_by",
            "E *    expected: 'admin@example.com'",
            "E *    actual:   None",
        ],
        consecutive=False,
    )


def test_assert_not_deleted(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        from datetime import UTC, datetime
        from types import SimpleNamespace
        from pytest_svc import assert_not_deleted

        def test_passes():
            assert_not_deleted(SimpleNamespace(deleted_at=None, is_deleted=False))
            assert_not_deleted({"id": 1})  # no soft-delete fields: nothing says it is deleted

        def test_fails():
            assert_not_deleted(SimpleNamespace(deleted_at=datetime(2024, 1, 1, tzinfo=UTC), is_deleted=True))
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_not_deleted: SimpleNamespace does not match",
            "E *- deleted_at",
            "E *    expected: None",
            "E *    actual:   datetime.datetime(2024, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)",
            "E *    fix: only a delete should set it; a restore must clear deleted_at and is_deleted",
            "E *- is_deleted",
            "E *    expected: False",
            "E *    actual:   True",
        ]
    )


def test_assert_timestamps_updated(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import pytest
        from datetime import UTC, datetime
        from sqlalchemy import select
        from pytest_svc import assert_timestamps_updated
        from sampleapp import Author

        @pytest.mark.asyncio
        async def test_passes(make_test_model, db_session):
            author = await make_test_model(Author)
            snapshot = {"created_at": author.created_at.isoformat(), "updated_at": author.updated_at}
            before = datetime.now(UTC)
            author.name = "renamed"
            await db_session.flush()
            assert_timestamps_updated(author, before)
            assert_timestamps_updated(author, snapshot)
            with pytest.raises(AssertionError, match="before must be a datetime or a snapshot taken before"):
                assert_timestamps_updated(author, author)  # the live object is no snapshot

        def test_fails():
            created, updated = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
            snapshot = {"created_at": created, "updated_at": updated}
            # created_at naive: SQLite returns timestamps without zone; they are taken as UTC.
            stale = {"created_at": datetime(2024, 1, 3), "updated_at": updated}
            assert_timestamps_updated(stale, snapshot)
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "E *- updated_at",
            "E *    expected: later than datetime.datetime(2024, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)",
            "E *    actual:   datetime.datetime(2024, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)",
            "E *    fix: give updated_at an onupdate (a Python-side clock: PostgreSQL's now() is the transaction's "
            "start time, the same for a whole test)",
            "E *- created_at",
            "E *    expected: datetime.datetime(2024, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)",
            "E *    actual:   datetime.datetime(2024, 1, 3, 0, 0, tzinfo=datetime.timezone.utc)",
            "E *    fix: an update must not touch created_at",
        ]
    )


def test_assert_primary_key_set(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import pytest
        from pytest_svc import assert_primary_key_set
        from sampleapp import Item

        @pytest.mark.asyncio
        async def test_passes(db_session):
            item = Item(name="flushed")
            db_session.add(item)
            await db_session.flush()
            assert_primary_key_set(item)
            assert_primary_key_set({"id": "a1"})

        def test_fails():
            assert_primary_key_set(Item(name="never flushed"))
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_primary_key_set: Item does not match",
            "E *- id",
            "E *    expected: a key",
            "E *    actual:   None",
            "E *    fix: add it to the session and await session.flush() (or commit) before reading its key",
        ]
    )


def test_messages_do_not_need_pytest() -> None:
    # Explicit messages: the same text wherever the helper runs (rewritten or not, pytest or not).
    with pytest.raises(AssertionError) as excinfo:
        assert_audit_trail({"created_by": "x"}, created_by="y")
    assert str(excinfo.value) == (
        "assert_audit_trail: the mapping does not match\n"
        "- created_by\n"
        "    expected: 'y'\n"
        "    actual:   'x'\n"
        "    fix: set created_by from the principal of the request that created it"
    )
