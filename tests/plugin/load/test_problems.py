"""pytest_svc.load's RFC 9457 checks: what passes, and the message of each way to fail."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pytest_svc.load import check_problem, expect_status, problem_violations

PROBLEM = {"type": "about:blank", "title": "Too Many Requests", "status": 429, "detail": "Slow down."}
PROBLEM_JSON = "application/problem+json"


class Marked:
    """A response as Locust's catch_response context manager shows it, recording success()/failure()."""

    def __init__(self, status: int, body: Any = None, content_type: str | None = PROBLEM_JSON, **headers: str) -> None:
        self.status_code = status
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {name.replace("_", "-"): value for name, value in headers.items()}
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        self.headers = httpx.Headers(all_headers)
        self.outcome: str | None = None

    def success(self) -> None:
        self.outcome = "success"

    def failure(self, exc: Any) -> None:
        self.outcome = f"failure: {exc}"


def test_a_problem_has_no_violations() -> None:
    assert problem_violations(429, "application/problem+json; charset=utf-8", json.dumps(PROBLEM)) == []


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", PROBLEM, ["content-type is 'application/json', not 'application/problem+json'"]),
        (None, PROBLEM, ["content-type is None, not 'application/problem+json'"]),
        (PROBLEM_JSON, {**PROBLEM, "status": 400}, ["'status' member is 400, the response's status is 429"]),
        (PROBLEM_JSON, {**PROBLEM, "status": "429"}, ["'status' member is '429', the response's status is 429"]),
        (PROBLEM_JSON, {"title": "Too Many Requests"}, ["no 'status' member (expected 429)"]),
        (PROBLEM_JSON, {"status": 429}, ["no 'title' member"]),
        (PROBLEM_JSON, {"status": 429, "title": " "}, ["'title' member is ' '"]),
        (PROBLEM_JSON, [PROBLEM], ["the body is not a JSON object"]),
        (
            "text/html",
            b"<h1>oops</h1>",
            ["content-type is 'text/html', not 'application/problem+json'", "the body is not a JSON object"],
        ),
    ],
)
def test_problem_violations_name_what_is_wrong(content_type: str | None, body: Any, expected: list[str]) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body)
    assert problem_violations(429, content_type, raw) == expected


def test_expect_status_passes_an_expected_problem_with_its_headers() -> None:
    response = Marked(429, PROBLEM, retry_after="7")
    assert expect_status(response, 200, 429, headers=["Retry-After"]) is True
    assert response.outcome == "success"


def test_expect_status_passes_a_success_without_checking_error_headers() -> None:
    response = Marked(200, {"ok": True}, content_type="application/json")
    assert expect_status(response, 200, 429, headers=["Retry-After"]) is True
    assert response.outcome == "success"


@pytest.mark.parametrize(
    ("response", "expected", "message"),
    [
        (
            Marked(500, {"title": "Internal Server Error", "status": 500, "detail": "An unexpected error occurred."}),
            (200,),
            "failure: expected 200, got HTTP 500 Internal Server Error: An unexpected error occurred.",
        ),
        (
            Marked(500, b"Internal Server Error", content_type="text/plain"),
            (200, 404),
            "failure: expected 200 or 404, got HTTP 500 Internal Server Error, not an RFC 9457 problem: "
            "content-type is 'text/plain', not 'application/problem+json'; the body is not a JSON object",
        ),
        (
            Marked(201, {"id": 1}, content_type="application/json"),
            (200,),
            "failure: expected 200, got HTTP 201 Created",
        ),
        (
            Marked(
                429, {"title": "Too Many Requests", "status": 429}, content_type="application/json", retry_after="1"
            ),
            (429,),
            "failure: HTTP 429 Too Many Requests is not an RFC 9457 problem: "
            "content-type is 'application/json', not 'application/problem+json'",
        ),
        (Marked(429, PROBLEM), (429,), "failure: HTTP 429 Too Many Requests lacks the header(s) Retry-After"),
    ],
)
def test_expect_status_fails_naming_what_is_wrong(response: Marked, expected: tuple[int, ...], message: str) -> None:
    assert expect_status(response, *expected, headers=["Retry-After"]) is False
    assert response.outcome == message


def test_expect_status_problem_false_accepts_any_error_body() -> None:
    response = Marked(404, b"not found", content_type="text/plain")
    assert expect_status(response, 404, problem=False) is True
    assert response.outcome == "success"


def test_expect_status_defaults_to_200() -> None:
    ok, created = Marked(200, {}), Marked(201, {})
    assert expect_status(ok) is True
    assert expect_status(created) is False
    assert created.outcome == "failure: expected 200, got HTTP 201 Created"


def test_check_problem() -> None:
    ok = Marked(204, b"", content_type=None)
    missing = Marked(404, {"title": "Not Found", "status": 404, "detail": "Document 7 not found."})
    long_detail = Marked(409, {"title": "Conflict", "status": 409, "detail": "x" * 150})
    broken = Marked(502, b"Bad Gateway", content_type="text/html")
    assert check_problem(ok) is True
    assert ok.outcome == "success"
    assert [check_problem(r) for r in (missing, long_detail, broken)] == [False, False, False]
    assert missing.outcome == "failure: HTTP 404 Not Found: Document 7 not found."
    assert long_detail.outcome == "failure: HTTP 409 Conflict: " + "x" * 97 + "..."
    assert broken.outcome == (
        "failure: HTTP 502 Bad Gateway, not an RFC 9457 problem: "
        "content-type is 'text/html', not 'application/problem+json'; the body is not a JSON object"
    )
