"""The edge-header assertion helpers (request IDs, security headers): what passes and what a failure tells."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_helper_checks

SECURE = """
SECURE = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), geolocation=(), sync-xhr=(self)",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "x-permitted-cross-domain-policies": "none",
    "cache-control": "no-store, max-age=0",
}
"""


def test_assert_request_id(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import httpx
        import pytest
        from pytest_svc import assert_request_id

        RID = "0193a0e4-6f1b-7c2e-9d4a-5b6c7d8e9f00"
        PROBLEM = "application/problem+json"

        def test_passes():
            response = httpx.Response(200, headers={"X-Request-ID": RID})
            assert assert_request_id(response) == RID
            assert assert_request_id(response, RID) == RID
            problem = httpx.Response(
                404,
                json={"status": 404, "request_id": RID},
                headers={"X-Request-ID": RID, "content-type": "application/problem+json"},
            )
            assert_request_id(problem, RID)
            assert assert_request_id(httpx.Response(200, headers={"X-Trace": "trace-01234567"}), header="X-Trace")

        @pytest.mark.parametrize(
            "headers, body, expected",
            [
                ({}, None, None),
                ([("X-Request-ID", RID), ("X-Request-ID", RID)], None, None),
                ({"X-Request-ID": "has spaces in it"}, None, None),
                ({"X-Request-ID": RID}, None, "sent-0123456789"),
                ({"X-Request-ID": RID, "content-type": PROBLEM}, {"request_id": "other-12345678"}, None),
            ],
            ids=["missing", "twice", "not-an-id", "not-echoed", "body-differs"],
        )
        def test_fails(headers, body, expected):
            assert_request_id(httpx.Response(404, headers=headers, json=body), expected)
        """,
        "-v",
        failed=5,
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_request_id: Response does not match",
            "E *- X-Request-ID",
            "E *    expected: one request ID",
            "E *    actual:   (missing)",
            "E *    fix: add request-ID middleware (asgi-correlation-id) outermost, so every response carries the ID",
        ]
    )
    result.stdout.fnmatch_lines(["E *    expected: one value", f"E *    actual:   [[]'{_RID}', '{_RID}']"])
    result.stdout.fnmatch_lines(
        ["E *    expected: an ID (8 to 128 of A-Z a-z 0-9 . _ : -)", "E *    actual:   'has spaces in it'"]
    )
    result.stdout.fnmatch_lines(
        [
            "E *- X-Request-ID (the one sent)",
            "E *    expected: 'sent-0123456789'",
            f"E *    actual:   '{_RID}'",
            "E *    fix: keep a valid incoming ID instead of replacing it (check the middleware's validator)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E *- request_id (in the problem body)",
            f"E *    expected: '{_RID}'",
            "E *    actual:   'other-12345678'",
        ]
    )


_RID = "0193a0e4-6f1b-7c2e-9d4a-5b6c7d8e9f00"


def test_assert_security_headers(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        SECURE
        + """
import httpx
import pytest
from pytest_svc import assert_security_headers


def test_passes():
    assert_security_headers(httpx.Response(200, headers=SECURE))
    plain_http = {name: value for name, value in SECURE.items() if name != "strict-transport-security"}
    assert_security_headers(httpx.Response(200, headers=plain_http), ignore=["Strict-Transport-Security"])
    assert_security_headers(SECURE)  # a mapping of headers will do


def test_fails():
    weak = dict(SECURE)
    del weak["x-content-type-options"]
    weak["strict-transport-security"] = "max-age=3600"
    weak["content-security-policy"] = "default-src 'self'"
    weak["permissions-policy"] = "camera=*"
    weak["cache-control"] = "public, max-age=600"
    weak["server"] = "uvicorn"
    assert_security_headers(httpx.Response(200, headers=weak))


def test_an_unknown_profile_names_the_known_ones():
    with pytest.raises(ValueError, match="assert_security_headers: no profile 'web'; the profiles are api"):
        assert_security_headers(httpx.Response(200, headers=SECURE), profile="web")
""",
        passed=2,
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_security_headers: Response does not match",
            "E *- Strict-Transport-Security",
            "E *    expected: 'max-age=31536000; includeSubDomains'",
            "E *    actual:   'max-age=3600'",
            "E *    fix: make it at least as strict: browsers must only reach the service over HTTPS, for a year*",
            "E *- X-Content-Type-Options",
            "E *    expected: 'nosniff'",
            "E *    actual:   (missing)",
            "E *    fix: add it: no content-type sniffing",
            "E *- Content-Security-Policy",
            "E *    expected: \"default-src 'none'; frame-ancestors 'none'\"",
            "E *    actual:   \"default-src 'self'\"",
            "E *- Permissions-Policy",
            "E *    actual:   'camera=*'",
            "E *- Cache-Control",
            "E *    expected: 'no-store, max-age=0'",
            "E *    actual:   'public, max-age=600'",
            "E *- Server",
            "E *    expected: no such header",
            "E *    actual:   'uvicorn'",
            "E *    fix: drop it (uvicorn: --no-server-header; a middleware for the app's own): it names what runs",
        ]
    )
    result.stdout.no_fnmatch_line("E *- X-Frame-Options")  # the headers that are right are not listed
