"""Assertion helpers for the service template's conventions: audit columns, soft delete, timestamps, keys,
RFC 9457 problem details and pagination.

Duck-typed on the template's field names (``id``, ``created_at``, ``updated_at``, ``created_by``, ``updated_by``,
``deleted_at``, ``deleted_by``, ``is_deleted``): each helper accepts an ORM object, any object with those
attributes, or a mapping such as a response's JSON. They fail with an explicit ``AssertionError`` (no bare
``assert``, so the message does not depend on assertion rewriting) naming the field, expected vs actual, and the
likely fix; ``__tracebackhide__`` keeps the traceback on the test's line.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy import inspect as sa_inspect

PROBLEM_MEDIA_TYPE = "application/problem+json"


class _Unchecked(enum.Enum):
    UNCHECKED = "UNCHECKED"

    def __repr__(self) -> str:
        return "<unchecked>"


# The default of an expectation the caller did not give: None is a value some fields are expected to have.
UNCHECKED: Final = _Unchecked.UNCHECKED
_MISSING = object()
Unchecked = Literal[_Unchecked.UNCHECKED]


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, _MISSING)
    return getattr(obj, name, _MISSING)


def _describe(obj: Any) -> str:
    return "the mapping" if isinstance(obj, Mapping) else type(obj).__name__


class _Text(str):
    """An expectation described in words: shown without quotes."""

    def __repr__(self) -> str:
        return str(self)


def _mismatch(field: str, expected: Any, actual: Any, fix: str) -> str:
    shown = "(missing)" if actual is _MISSING else repr(actual)
    return f"{field}\n    expected: {expected!r}\n    actual:   {shown}\n    fix: {fix}"


def _fail(helper: str, obj: Any, problems: list[str], context: str = "") -> None:
    __tracebackhide__ = True
    if problems:
        lines = "".join(f"\n- {problem}" for problem in problems)
        raise AssertionError(f"{helper}: {_describe(obj)} does not match{lines}{context}")


def assert_audit_trail(
    obj: Any, *, created_by: str | Unchecked | None = UNCHECKED, updated_by: str | Unchecked | None = UNCHECKED
) -> None:
    """Assert the audit columns: ``assert_audit_trail(doc, created_by="ann@example.com", updated_by=...)``.

    Only the fields given are checked; ``None`` expects the column empty (e.g. written by the system).
    """
    __tracebackhide__ = True
    problems = []
    for field, expected in (("created_by", created_by), ("updated_by", updated_by)):
        actual = _field(obj, field)
        if expected is not UNCHECKED and actual != expected:
            action = "created" if field == "created_by" else "last updated"
            problems.append(
                _mismatch(field, expected, actual, f"set {field} from the principal of the request that {action} it")
            )
    _fail("assert_audit_trail", obj, problems)


def assert_soft_deleted(obj: Any, *, deleted_by: str | Unchecked | None = UNCHECKED) -> None:
    """Assert the object is soft-deleted: ``deleted_at`` is set, ``is_deleted`` is true (where the object has
    each field), and ``deleted_by`` equals the given principal (when given).

    The row must still exist to be checked: a hard ``session.delete()`` is a different outcome.
    """
    __tracebackhide__ = True
    fix = "delete through the soft-delete path (obj.soft_delete(by=...)), not session.delete()"
    problems = []
    deleted_at, is_deleted = _field(obj, "deleted_at"), _field(obj, "is_deleted")
    if deleted_at is _MISSING and is_deleted is _MISSING:
        problems.append(
            _mismatch("deleted_at, is_deleted", _Text("soft-delete columns"), _MISSING, "add the soft-delete columns")
        )
    if deleted_at is None:
        problems.append(_mismatch("deleted_at", _Text("a datetime"), deleted_at, fix))
    if is_deleted not in (True, _MISSING):
        problems.append(_mismatch("is_deleted", True, is_deleted, fix))
    actual_by = _field(obj, "deleted_by")
    if deleted_by is not UNCHECKED and actual_by != deleted_by:
        problems.append(_mismatch("deleted_by", deleted_by, actual_by, "set deleted_by from the deleting principal"))
    _fail("assert_soft_deleted", obj, problems)


def assert_not_deleted(obj: Any) -> None:
    """Assert the object is live: ``deleted_at`` is None and ``is_deleted`` is false (where it has the field)."""
    __tracebackhide__ = True
    fix = "only a delete should set it; a restore must clear deleted_at and is_deleted"
    problems = []
    deleted_at, is_deleted = _field(obj, "deleted_at"), _field(obj, "is_deleted")
    if deleted_at not in (None, _MISSING):
        problems.append(_mismatch("deleted_at", None, deleted_at, fix))
    if is_deleted not in (False, _MISSING):
        problems.append(_mismatch("is_deleted", False, is_deleted, fix))
    _fail("assert_not_deleted", obj, problems)


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
    snapshot_updated = None if isinstance(before, datetime) else _parse(_field(before, "updated_at"))
    if before is obj or (snapshot_updated is None and not isinstance(before, datetime)):
        raise AssertionError(
            "assert_timestamps_updated: before must be a datetime or a snapshot taken before the update, such as "
            f"{{'created_at': obj.created_at, 'updated_at': obj.updated_at}}; got {before!r}"
        )
    fix = (
        "give updated_at an onupdate (a Python-side clock: PostgreSQL's now() is the transaction's start "
        "time, the same for a whole test)"
    )
    problems = []
    updated_at = _parse(_field(obj, "updated_at"))
    if updated_at is None:
        problems.append(_mismatch("updated_at", _Text("a datetime"), _field(obj, "updated_at"), fix))
    elif isinstance(before, datetime):
        if updated_at < _utc(before):
            problems.append(_mismatch("updated_at", _Text(f"at or after {_utc(before)!r}"), updated_at, fix))
    else:
        if snapshot_updated is not None and updated_at <= snapshot_updated:
            problems.append(_mismatch("updated_at", _Text(f"later than {snapshot_updated!r}"), updated_at, fix))
        snapshot_created, created_at = _parse(_field(before, "created_at")), _parse(_field(obj, "created_at"))
        if snapshot_created is not None and created_at != snapshot_created:
            problems.append(
                _mismatch("created_at", snapshot_created, created_at, "an update must not touch created_at")
            )
    _fail("assert_timestamps_updated", obj, problems)


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
        value = _field(obj, name)
        if value is None or value is _MISSING:
            problems.append(_mismatch(name, _Text("a key"), value, fix))
    _fail("assert_primary_key_set", obj, problems)


def _json_body(helper: str, response_or_body: Any) -> Any:
    __tracebackhide__ = True
    if isinstance(response_or_body, Mapping) or not callable(getattr(response_or_body, "json", None)):
        return response_or_body
    try:
        return response_or_body.json()
    except ValueError:
        text = str(getattr(response_or_body, "text", ""))[:300]
        raise AssertionError(f"{helper}: the response body is not JSON: {text!r}") from None


def assert_problem_detail(
    response: Any,
    status: int,
    *,
    type: str | Unchecked = UNCHECKED,
    title: str | Unchecked = UNCHECKED,
    detail: Any = UNCHECKED,
) -> dict[str, Any]:
    """Assert an RFC 9457 problem response: ``assert_problem_detail(response, 404, title="Not Found")``.

    Checks the ``application/problem+json`` content type, the HTTP status, that the body's ``status`` equals
    it, that ``instance`` is set, and ``type``, ``title`` and ``detail`` when given. Returns the body, for
    checks of extension members (``problem["errors"]``).
    """
    __tracebackhide__ = True
    problems = []
    content_type = response.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != PROBLEM_MEDIA_TYPE:
        fix = "answer errors with an exception handler that returns application/problem+json"
        problems.append(_mismatch("content-type", PROBLEM_MEDIA_TYPE, content_type, fix))
    if response.status_code != status:
        problems.append(_mismatch("HTTP status", status, response.status_code, "the endpoint failed differently"))
    body = _json_body("assert_problem_detail", response)
    if not isinstance(body, Mapping):
        problems.append(_mismatch("body", _Text("a JSON object"), body, "return a problem details object"))
        body = {}
    body_status = body.get("status", _MISSING)
    if body_status != response.status_code:
        fix = "the body's status must repeat the HTTP status"
        problems.append(_mismatch("status (in the body)", response.status_code, body_status, fix))
    expected_members = {"type": type, "title": title, "detail": detail}
    for member, expected in expected_members.items():
        actual = body.get(member, _MISSING)
        if expected is not UNCHECKED and actual != expected:
            problems.append(_mismatch(member, expected, actual, f"give the problem the expected {member}"))
    instance = body.get("instance", _MISSING)
    if not isinstance(instance, str) or not instance:
        fix = "set instance to the request's path (request.url.path)"
        problems.append(_mismatch("instance", _Text("a non-empty URI reference"), instance, fix))
    _fail("assert_problem_detail", response, problems, f"\nbody: {body!r}")
    return dict(body)


_OFFSET_KEYS = ("items", "total", "limit", "offset")
_CURSOR_KEYS = ("items", "next_cursor", "prev_cursor")


def assert_paginated(
    response_or_body: Any,
    *,
    total: int | Unchecked = UNCHECKED,
    limit: int | Unchecked = UNCHECKED,
    offset: int | Unchecked = UNCHECKED,
    items: int | list[Any] | Unchecked = UNCHECKED,
    next_cursor: str | Unchecked | None = UNCHECKED,
    prev_cursor: str | Unchecked | None = UNCHECKED,
) -> dict[str, Any]:
    """Assert a page of results: an offset page ``{items, total, limit, offset}`` or a cursor page
    ``{items, next_cursor, prev_cursor}``, from a response or its JSON.

    Checks the page's keys, the values given (``items`` as a count or the exact list; ``next_cursor=None``
    expects the last page) and, for an offset page, that it holds ``min(limit, total - offset)`` items.
    Returns the body.
    """
    __tracebackhide__ = True
    body = _json_body("assert_paginated", response_or_body)
    if not isinstance(body, Mapping):
        raise AssertionError(f"assert_paginated: expected a page (a JSON object), got {body!r}")
    cursor_page = "next_cursor" in body or "prev_cursor" in body
    if not cursor_page and not any(key in body for key in _OFFSET_KEYS[1:]):
        raise AssertionError(
            f"assert_paginated: neither an offset page {{{', '.join(_OFFSET_KEYS)}}} nor a cursor page "
            f"{{{', '.join(_CURSOR_KEYS)}}}; the body has keys {sorted(body)}"
        )
    keys = _CURSOR_KEYS if cursor_page else _OFFSET_KEYS
    problems = [
        _mismatch(key, _Text("present"), _MISSING, "return every page field, null when empty")
        for key in keys
        if key not in body
    ]
    expected_values = {
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_cursor": next_cursor,
        "prev_cursor": prev_cursor,
    }
    for key, expected in expected_values.items():
        actual = body.get(key, _MISSING)
        if expected is not UNCHECKED and actual is not _MISSING and actual != expected:
            problems.append(_mismatch(key, expected, actual, f"check how the endpoint computes {key}"))
    page = body.get("items")
    if not isinstance(page, list):
        problems.append(_mismatch("items", _Text("a list"), page, "return the page's rows as a list"))
    elif isinstance(items, list) and page != items:
        problems.append(_mismatch("items", items, page, "check the query's filter and ordering"))
    elif isinstance(items, int) and len(page) != items:
        problems.append(_mismatch("len(items)", items, len(page), "check the query's filter and page size"))
    elif not cursor_page and all(isinstance(body.get(key), int) for key in _OFFSET_KEYS[1:]):
        size = max(0, min(body["limit"], body["total"] - body["offset"]))
        if len(page) != size:
            fix = "an offset page holds min(limit, total - offset) items: check LIMIT/OFFSET and the count query"
            problems.append(_mismatch("len(items)", size, len(page), fix))
    _fail("assert_paginated", body, problems)
    return dict(body)
