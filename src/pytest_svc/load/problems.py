"""RFC 9457 checks for load runs: is an error response a problem document, and was its status expected.

The checks work on any response object with ``status_code``, ``headers`` and ``content`` and, for marking the
request, ``success()``/``failure(reason)``: Locust's ``catch_response=True`` context managers of both
``HttpUser`` and ``FastHttpUser``. Nothing here imports Locust, so it is unit-tested inside pytest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Protocol

PROBLEM_MEDIA_TYPE = "application/problem+json"
# A failure message becomes a row of Locust's failure table: long details would make every row unique.
_DETAIL_CHARS = 100


class CheckedResponse(Protocol):
    """What the checks read from a response, and how they mark it (Locust's ``catch_response=True`` objects)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    @property
    def content(self) -> bytes | None: ...

    def success(self) -> None: ...

    def failure(self, exc: Any) -> None: ...


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name) if headers is not None else None
    if isinstance(value, list):  # geventhttpclient returns a list for a repeated header
        value = value[0] if value else None
    return None if value is None else str(value)


def _json_object(body: bytes | str | None) -> dict[str, Any] | None:
    try:
        data = json.loads(body or b"")
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return None
    return data if isinstance(data, dict) else None


def problem_violations(status: int, content_type: str | None, body: bytes | str | None) -> list[str]:
    """What keeps a ``status`` response from being an RFC 9457 problem; empty when it is one.

    A problem is served as ``application/problem+json`` (parameters allowed), is a JSON object, carries
    ``status`` equal to the HTTP status and a non-empty ``title``.
    """
    violations = []
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type != PROBLEM_MEDIA_TYPE:
        violations.append(f"content-type is {content_type!r}, not {PROBLEM_MEDIA_TYPE!r}")
    data = _json_object(body)
    if data is None:
        violations.append("the body is not a JSON object")
        return violations
    member = data.get("status")
    if "status" not in data:
        violations.append(f"no 'status' member (expected {status})")
    elif isinstance(member, bool) or member != status:
        violations.append(f"'status' member is {member!r}, the response's status is {status}")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        violations.append("no 'title' member" if "title" not in data else f"'title' member is {title!r}")
    return violations


def describe_error(status: int, content_type: str | None, body: bytes | str | None) -> str:
    """One line for an error response: ``HTTP 404 Not Found: <detail>``, or what keeps it from being a problem."""
    violations = problem_violations(status, content_type, body)
    if violations:
        return f"HTTP {status} {_phrase(status)}, not an RFC 9457 problem: " + "; ".join(violations)
    data = _json_object(body) or {}
    detail = data.get("detail")
    text = f"HTTP {status} {data['title']}"
    if isinstance(detail, str) and detail:
        text += ": " + (detail if len(detail) <= _DETAIL_CHARS else detail[: _DETAIL_CHARS - 3] + "...")
    return text


def status_failure(
    status: int,
    content_type: str | None,
    body: bytes | str | None,
    expected: Iterable[int],
    *,
    problem: bool = True,
    present_headers: Iterable[str] = (),
    required_headers: Iterable[str] = (),
) -> str | None:
    """Why a response fails ``expected``: None when it passes, else a message naming what is wrong.

    Passing means: the status is one of ``expected``; when it is an error (4xx/5xx) and ``problem`` is true, the
    body is an RFC 9457 problem; and every one of ``required_headers`` is among ``present_headers``
    (case-insensitive), e.g. ``Retry-After`` on a 429.
    """
    wanted = sorted(set(expected))
    if status not in wanted:
        shown = " or ".join(map(str, wanted))
        got = describe_error(status, content_type, body) if status >= 400 else f"HTTP {status} {_phrase(status)}"
        return f"expected {shown}, got {got}"
    if status >= 400 and problem and (violations := problem_violations(status, content_type, body)):
        return f"HTTP {status} {_phrase(status)} is not an RFC 9457 problem: " + "; ".join(violations)
    present = {name.lower() for name in present_headers}
    missing = [name for name in required_headers if name.lower() not in present]
    if missing:
        return f"HTTP {status} {_phrase(status)} lacks the header(s) {', '.join(missing)}"
    return None


def _header_names(headers: Any) -> list[str]:
    if headers is None:
        return []
    return [str(name) for name in headers]


def expect_status(response: CheckedResponse, *expected: int, problem: bool = True, headers: Iterable[str] = ()) -> bool:
    """Mark a ``catch_response=True`` response succeeded when it is as ``expected``, failed otherwise.

    ``expect_status(response, 200, 429, headers=["Retry-After"])`` says both statuses are fine; an expected
    error must still be an RFC 9457 problem (``problem=False`` to skip that) and carry ``headers``. Use it for
    statuses that are part of the scenario (a 429 of a burst, the 404 of a deleted document); the failure
    message names what is wrong, e.g. ``expected 200, got HTTP 500 Internal Server Error: ...``. Returns
    whether the response passed.
    """
    status = response.status_code
    required = list(headers) if status >= 400 else []
    reason = status_failure(
        status,
        _header(response.headers, "content-type"),
        response.content,
        expected or (200,),
        problem=problem,
        present_headers=_header_names(response.headers) if required else (),
        required_headers=required,
    )
    if reason is None:
        response.success()
        return True
    response.failure(reason)
    return False


def check_problem(response: CheckedResponse) -> bool:
    """Mark an error response (4xx/5xx) failed, saying whether it is an RFC 9457 problem; pass anything else.

    For requests whose errors are never part of the scenario: the failure row reads ``HTTP 404 Not Found:
    <detail>`` for a proper problem, ``HTTP 500 Internal Server Error, not an RFC 9457 problem: content-type
    is 'text/plain', ...`` otherwise. Returns whether the response passed.
    """
    status = response.status_code
    if status < 400:
        response.success()
        return True
    response.failure(describe_error(status, _header(response.headers, "content-type"), response.content))
    return False
