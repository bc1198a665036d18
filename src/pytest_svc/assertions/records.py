"""Assertion helpers for the template's record conventions: audit columns, soft delete, timestamps and keys.

Duck-typed on the template's field names (``id``, ``created_at``, ``updated_at``, ``created_by``, ``updated_by``,
``deleted_at``, ``deleted_by``, ``is_deleted``): each helper accepts an ORM object, any object with those
attributes, or a mapping such as a response's JSON. They fail with an explicit ``AssertionError`` (no bare
``assert``, so the message does not depend on assertion rewriting) naming the field, expected vs actual, and the
likely fix; ``__tracebackhide__`` keeps the traceback on the test's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect

from pytest_svc.assertions._report import MISSING, UNCHECKED, Text, Unchecked, fail, field_of, mismatch

BEFORE_MESSAGE = (
    "assert_timestamps_updated: before must be a datetime or a snapshot taken before the update, such as "
    "{{'created_at': obj.created_at, 'updated_at': obj.updated_at}}; got {before!r}"
)


def assert_audit_trail(
    obj: Any, *, created_by: str | Unchecked | None = UNCHECKED, updated_by: str | Unchecked | None = UNCHECKED
) -> None:
    """Assert the audit columns: ``assert_audit_trail(doc, created_by="ann@example.com", updated_by=...)``.

    Only the fields given are checked; ``None`` expects the column empty (e.g. written by the system).
    """
    __tracebackhide__ = True
    problems = []
    for field, expected in (("created_by", created_by), ("updated_by", updated_by)):
        actual = field_of(obj, field)
        if expected is not UNCHECKED and actual != expected:
            action = "created" if field == "created_by" else "last updated"
            problems.append(
                mismatch(field, expected, actual, f"set {field} from the principal of the request that {action} it")
            )
    fail("assert_audit_trail", obj, problems)


def assert_soft_deleted(obj: Any, *, deleted_by: str | Unchecked | None = UNCHECKED) -> None:
    """Assert the object is soft-deleted: ``deleted_at`` is set, ``is_deleted`` is true (where the object has
    each field), and ``deleted_by`` equals the given principal (when given).

    The row must still exist to be checked: a hard ``session.delete()`` is a different outcome.
    """
    __tracebackhide__ = True
    fix = "delete through the soft-delete path (obj.soft_delete(by=...)), not session.delete()"
    problems = []
    deleted_at, is_deleted = field_of(obj, "deleted_at"), field_of(obj, "is_deleted")
    if deleted_at is MISSING and is_deleted is MISSING:
        problems.append(
            mismatch("deleted_at, is_deleted", Text("soft-delete columns"), MISSING, "add the soft-delete columns")
        )
    if deleted_at is None:
        problems.append(mismatch("deleted_at", Text("a datetime"), deleted_at, fix))
    if is_deleted not in (True, MISSING):
        problems.append(mismatch("is_deleted", True, is_deleted, fix))
    actual_by = field_of(obj, "deleted_by")
    if deleted_by is not UNCHECKED and actual_by != deleted_by:
        problems.append(mismatch("deleted_by", deleted_by, actual_by, "set deleted_by from the deleting principal"))
    fail("assert_soft_deleted", obj, problems)


def assert_not_deleted(obj: Any) -> None:
    """Assert the object is live: ``deleted_at`` is None and ``is_deleted`` is false (where it has the field)."""
    __tracebackhide__ = True
    fix = "only a delete should set it; a restore must clear deleted_at and is_deleted"
    problems = []
    deleted_at, is_deleted = field_of(obj, "deleted_at"), field_of(obj, "is_deleted")
    if deleted_at not in (None, MISSING):
        problems.append(mismatch("deleted_at", None, deleted_at, fix))
    if is_deleted not in (False, MISSING):
        problems.append(mismatch("is_deleted", False, is_deleted, fix))
    fail("assert_not_deleted", obj, problems)


def _utc(value: datetime) -> datetime:
    # SQLite gives DateTime(timezone=True) columns back naive; the template stores UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _parse(value: Any) -> datetime | None:
    """A timestamp in UTC: datetimes as they are, ISO strings (from JSON) parsed, anything else None."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _utc(value) if isinstance(value, datetime) else None


def assert_timestamps_updated(obj: Any, before: Any) -> None:
    """Assert an update moved ``updated_at`` forward.

    ``before`` is either a datetime taken after the object was created and before the update (``updated_at``
    must be at or after it), or a snapshot of the object from before the update: a mapping (e.g. the earlier
    response JSON) or a copy with ``created_at`` and ``updated_at``. With a snapshot, ``updated_at`` must be
    strictly later than the snapshot's and ``created_at`` unchanged. Naive datetimes are taken as UTC.
    """
    __tracebackhide__ = True
    snapshot_updated = None if isinstance(before, datetime) else _parse(field_of(before, "updated_at"))
    if before is obj or (snapshot_updated is None and not isinstance(before, datetime)):
        raise AssertionError(BEFORE_MESSAGE.format(before=before))
    fix = (
        "give updated_at an onupdate (a Python-side clock: PostgreSQL's now() is the transaction's start "
        "time, the same for a whole test)"
    )
    problems = []
    updated_at = _parse(field_of(obj, "updated_at"))
    if updated_at is None:
        problems.append(mismatch("updated_at", Text("a datetime"), field_of(obj, "updated_at"), fix))
    elif isinstance(before, datetime):
        if updated_at < _utc(before):
            problems.append(mismatch("updated_at", Text(f"at or after {_utc(before)!r}"), updated_at, fix))
    else:
        if snapshot_updated is not None and updated_at <= snapshot_updated:
            problems.append(mismatch("updated_at", Text(f"later than {snapshot_updated!r}"), updated_at, fix))
        snapshot_created, created_at = _parse(field_of(before, "created_at")), _parse(field_of(obj, "created_at"))
        if snapshot_created is not None and created_at != snapshot_created:
            problems.append(mismatch("created_at", snapshot_created, created_at, "an update must not touch created_at"))
    fail("assert_timestamps_updated", obj, problems)


def assert_primary_key_set(obj: Any) -> None:
    """Assert the object has its primary key: every key column of a mapped object, else ``id``.

    A mapped object gets its key when the session flushes it.
    """
    __tracebackhide__ = True
    fix = "add it to the session and await session.flush() (or commit) before reading its key"
    mapper = getattr(sa_inspect(obj, raiseerr=False), "mapper", None) if not isinstance(obj, Mapping) else None
    names = [mapper.get_property_by_column(column).key for column in mapper.primary_key] if mapper else ["id"]
    problems = []
    for name in names:
        value = field_of(obj, name)
        if value is None or value is MISSING:
            problems.append(mismatch(name, Text("a key"), value, fix))
    fail("assert_primary_key_set", obj, problems)
