"""Assertion helpers for HTTP answers: RFC 9457 problem details and pages of results.

Messages follow :mod:`pytest_svc.assertions.records`: every wrong field with expected, actual and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_svc.assertions._report import MISSING, UNCHECKED, Text, Unchecked, fail, json_body, mismatch

PROBLEM_MEDIA_TYPE = "application/problem+json"


def is_problem(content_type: str) -> bool:
    """Whether a ``Content-Type`` header value is ``application/problem+json`` (parameters ignored)."""
    return content_type.split(";")[0].strip().lower() == PROBLEM_MEDIA_TYPE


NOT_A_PAGE_MESSAGE = "assert_paginated: expected a page (a JSON object), got {body!r}"
UNKNOWN_PAGE_MESSAGE = (
    "assert_paginated: neither an offset page {{{offset}}} nor a cursor page {{{cursor}}}; the body has keys {keys}"
)


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
    if not is_problem(content_type):
        fix = "answer errors with an exception handler that returns application/problem+json"
        problems.append(mismatch("content-type", PROBLEM_MEDIA_TYPE, content_type, fix))
    if response.status_code != status:
        problems.append(mismatch("HTTP status", status, response.status_code, "the endpoint failed differently"))
    body = json_body("assert_problem_detail", response)
    if not isinstance(body, Mapping):
        problems.append(mismatch("body", Text("a JSON object"), body, "return a problem details object"))
        body = {}
    body_status = body.get("status", MISSING)
    if body_status != response.status_code:
        fix = "the body's status must repeat the HTTP status"
        problems.append(mismatch("status (in the body)", response.status_code, body_status, fix))
    expected_members = {"type": type, "title": title, "detail": detail}
    for member, expected in expected_members.items():
        actual = body.get(member, MISSING)
        if expected is not UNCHECKED and actual != expected:
            problems.append(mismatch(member, expected, actual, f"give the problem the expected {member}"))
    instance = body.get("instance", MISSING)
    if not isinstance(instance, str) or not instance:
        fix = "set instance to the request's path (request.url.path)"
        problems.append(mismatch("instance", Text("a non-empty URI reference"), instance, fix))
    fail("assert_problem_detail", response, problems, f"\nbody: {body!r}")
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
    body = json_body("assert_paginated", response_or_body)
    if not isinstance(body, Mapping):
        raise AssertionError(NOT_A_PAGE_MESSAGE.format(body=body))
    cursor_page = "next_cursor" in body or "prev_cursor" in body
    if not cursor_page and not any(key in body for key in _OFFSET_KEYS[1:]):
        offset_keys, cursor_keys = ", ".join(_OFFSET_KEYS), ", ".join(_CURSOR_KEYS)
        raise AssertionError(UNKNOWN_PAGE_MESSAGE.format(offset=offset_keys, cursor=cursor_keys, keys=sorted(body)))
    keys = _CURSOR_KEYS if cursor_page else _OFFSET_KEYS
    problems = [
        mismatch(key, Text("present"), MISSING, "return every page field, null when empty")
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
        actual = body.get(key, MISSING)
        if expected is not UNCHECKED and actual is not MISSING and actual != expected:
            problems.append(mismatch(key, expected, actual, f"check how the endpoint computes {key}"))
    page = body.get("items")
    if not isinstance(page, list):
        problems.append(mismatch("items", Text("a list"), page, "return the page's rows as a list"))
    elif isinstance(items, list) and page != items:
        problems.append(mismatch("items", items, page, "check the query's filter and ordering"))
    elif isinstance(items, int) and len(page) != items:
        problems.append(mismatch("len(items)", items, len(page), "check the query's filter and page size"))
    elif not cursor_page and all(isinstance(body.get(key), int) for key in _OFFSET_KEYS[1:]):
        size = max(0, min(body["limit"], body["total"] - body["offset"]))
        if len(page) != size:
            fix = "an offset page holds min(limit, total - offset) items: check LIMIT/OFFSET and the count query"
            problems.append(mismatch("len(items)", size, len(page), fix))
    fail("assert_paginated", body, problems)
    return dict(body)
