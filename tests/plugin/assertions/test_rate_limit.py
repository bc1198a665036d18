"""assert_rate_limited and assert_rate_limit_headers: what passes, and what each failure tells the reader."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_svc import RateLimitHeaders, assert_rate_limit_headers
from tests.plugin.inner_runs import run_helper_checks

HEADERS = """
import httpx
import pytest
from pytest_svc import assert_rate_limit_headers, assert_rate_limited

PROBLEM = {"type": "about:blank", "title": "Too Many Requests", "status": 429, "instance": "/limited"}

def response(status=200, **headers):
    return httpx.Response(status, headers={name.replace("_", "-"): value for name, value in headers.items()})
"""


def run(project: pytest.Pytester, source: str, *, passed: int, failed: int) -> pytest.RunResult:
    """Run ``source`` with the shared imports; failures must show no helper frames."""
    return run_helper_checks(project, HEADERS + source, passed=passed, failed=failed)


def test_assert_rate_limited(sample_project: pytest.Pytester) -> None:
    result = run(
        sample_project,
        """
def test_passes():
    rejected = httpx.Response(
        429, json=PROBLEM, headers={"content-type": "application/problem+json", "retry-after": "17"}
    )
    assert assert_rate_limited(rejected)["title"] == "Too Many Requests"
    assert_rate_limited(rejected, retry_after=17)

def test_not_rejected():
    assert_rate_limited(httpx.Response(200, json={"ok": True}))

def test_wrong_problem_and_retry_after():
    body = {"title": "Too Many Requests", "status": 400}
    headers = {"content-type": "application/problem+json", "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert_rate_limited(httpx.Response(429, json=body, headers=headers))

def test_wrong_retry_after_value():
    headers = {"content-type": "application/problem+json", "retry-after": "60"}
    assert_rate_limited(httpx.Response(429, json=PROBLEM, headers=headers), retry_after=17)
        """,
        passed=1,
        failed=3,
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_not_rejected _*",
            ">*assert_rate_limited(httpx.Response(200, json={*ok*: True}))",
            "E *AssertionError: assert_rate_limited: Response does not match",
            "E *- HTTP status",
            "E *    expected: 429",
            "E *    actual:   200",
            "E *    fix: the limiter did not reject the request: check the limit, the key it counts by, and the window",
            "E *- content-type",
            "E *    expected: 'application/problem+json'",
            "E *    actual:   'application/json'",
            "E *    fix: answer the rejection as a problem details object (application/problem+json)",
            "E *- status (in the body)",
            "E *    expected: 429",
            "E *    actual:   (missing)",
            "E *    fix: the problem's status must repeat the HTTP status",
            "E *- instance",
            "E *    expected: a non-empty URI reference",
            "E *    actual:   (missing)",
            "E *    fix: set instance to the request's path (request.url.path)",
            "E *- Retry-After",
            "E *    expected: delay-seconds",
            "E *    actual:   (missing)",
            "E *    fix: send Retry-After with every 429",
            "E *body: {'ok': True}",
            "*_ test_wrong_problem_and_retry_after _*",
            "E *- status (in the body)",
            "E *    expected: 429",
            "E *    actual:   400",
            "E *- Retry-After",
            "E *    expected: delay-seconds",
            "E *    actual:   'Wed, 21 Oct 2015 07:28:00 GMT'",
            "E *    fix: send Retry-After as whole seconds (delay-seconds), e.g. Retry-After: 17",
            "*_ test_wrong_retry_after_value _*",
            "E *AssertionError: assert_rate_limited: Response does not match",
            "E *- Retry-After",
            "E *    expected: 17",
            "E *    actual:   60",
            "E *    fix: Retry-After must be the seconds until the client may retry (the limiter's reset)",
        ]
    )


def test_assert_rate_limit_headers_accepts_every_convention(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        HEADERS
        + """
def test_draft():
    found = assert_rate_limit_headers(
        response(RateLimit_Policy='"burst";q=10;w=1, "default";q=100;w=60', RateLimit='"default";r=42;t=17'),
        limit=100,
        remaining=42,
    )
    assert (found.style, found.policy, found.limit, found.remaining, found.reset, found.window) == (
        "draft", "default", 100, 42, 17, 60
    )
    burst = assert_rate_limit_headers(
        response(RateLimit_Policy='"burst";q=10;w=1, "default";q=100;w=60', RateLimit='"burst";r=3, "default";r=42'),
        policy="burst",
        limit=10,
        remaining=3,
    )
    assert (burst.policy, burst.reset) == ("burst", None)
    # A token name, and RateLimit alone (no limit asked for), are read too.
    assert assert_rate_limit_headers(response(RateLimit="default;r=0;t=5"), remaining=0).limit is None

def test_trio():
    found = assert_rate_limit_headers(
        response(RateLimit_Limit="100", RateLimit_Remaining="99", RateLimit_Reset="60"), limit=100, remaining=99
    )
    assert (found.style, found.limit, found.remaining, found.reset) == ("trio", 100, 99, 60)

def test_legacy():
    found = assert_rate_limit_headers(
        response(X_RateLimit_Limit="5000", X_RateLimit_Remaining="4999", X_RateLimit_Reset="1372700873"),
        limit=5000,
    )
    assert (found.style, found.remaining, found.reset) == ("legacy", 4999, 1372700873)

@pytest.mark.asyncio
async def test_through_the_app(client):
    first = await client.get("/limited")
    assert_rate_limit_headers(first, limit=2, remaining=1)
    assert_rate_limit_headers(await client.get("/limited"), limit=2, remaining=0)
    rejected = await client.get("/limited")
    assert_rate_limited(rejected)
    assert 0 < int(rejected.headers["retry-after"]) <= 60
    assert_rate_limit_headers(rejected, limit=2, remaining=0)
        """
    )
    sample_project.runpytest().assert_outcomes(passed=4)


def test_no_rate_limit_headers(sample_project: pytest.Pytester) -> None:
    result = run(
        sample_project,
        """
def test_fails():
    assert_rate_limit_headers(response(content_type="application/json"), limit=100)
        """,
        passed=0,
        failed=1,
    )
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: assert_rate_limit_headers: the response has no rate limit headers",
            "E *    expected one of: RateLimit-Policy / RateLimit (draft-ietf-httpapi-ratelimit-headers); "
            "RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset; "
            "X-RateLimit-Limit / X-RateLimit-Remaining / X-RateLimit-Reset",
            "E *    headers present: content-type",
            "E *    fix: send the limiter's headers on every response it counts, 429s included",
        ]
    )


def test_draft_header_failures(sample_project: pytest.Pytester) -> None:
    result = run(
        sample_project,
        """
def test_values():
    assert_rate_limit_headers(
        response(RateLimit_Policy='"default";q=50;w=60', RateLimit='"default";r=60;t=soon'), limit=100, remaining=42
    )

def test_shape():
    assert_rate_limit_headers(response(RateLimit_Policy='"default;q=100'), limit=100)

def test_policy_names():
    assert_rate_limit_headers(response(RateLimit_Policy='"daily";q=1000', RateLimit='"default";r=1'), policy="hourly")

def test_missing_parameters():
    assert_rate_limit_headers(response(RateLimit_Policy='"default";w=60', RateLimit='"default";t=1'))

def test_limit_without_policy():
    assert_rate_limit_headers(response(RateLimit='"default";r=1;t=1'), limit=10)
        """,
        passed=0,
        failed=5,
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_values _*",
            "E *AssertionError: assert_rate_limit_headers: Response does not match",
            'E *- RateLimit "default";t',
            "E *    expected: a non-negative integer",
            "E *    actual:   'soon'",
            'E *    fix: send RateLimit "default";t as a non-negative integer',
            'E *- RateLimit-Policy "default";q (limit)',
            "E *    expected: 100",
            "E *    actual:   50",
            "E *    fix: the limit must be the configured quota for this client and endpoint",
            'E *- RateLimit "default";r (remaining)',
            "E *    expected: 42",
            "E *    actual:   60",
            "E *    fix: remaining must count down by one per request counted in the window",
            "E *- remaining",
            "E *    expected: at most the limit (50)",
            "E *    actual:   60",
            "E *    fix: remaining can never exceed the limit: check which counter each header reads",
            "E *headers read as: RateLimit-Policy / RateLimit (draft-ietf-httpapi-ratelimit-headers)",
            "*_ test_shape _*",
            "E *- RateLimit-Policy",
            'E *    expected: a list like "default";q=100;w=60',
            "E *    actual:   '\"default;q=100'",
            'E *    fix: send a Structured Field list of named policies, e.g. RateLimit-Policy: "default";q=100;w=60',
            "E *- RateLimit",
            "E *    expected: present",
            "E *    actual:   (missing)",
            'E *    fix: send RateLimit with the current state, e.g. RateLimit: "default";r=42;t=17',
            "*_ test_policy_names _*",
            "E *- RateLimit",
            "E *    expected: a member for policy 'hourly'",
            "E *    actual:   '\"default\";r=1'",
            "E *    fix: name the policy in RateLimit as in RateLimit-Policy",
            "E *- RateLimit-Policy",
            "E *    expected: a member for policy 'hourly'",
            "E *    actual:   '\"daily\";q=1000'",
            "E *    fix: list every policy that RateLimit reports in RateLimit-Policy",
            "*_ test_missing_parameters _*",
            'E *- RateLimit "default";r',
            "E *    expected: present",
            "E *    actual:   (missing)",
            'E *    fix: send RateLimit "default";r',
            'E *- RateLimit-Policy "default";q',
            "E *    expected: present",
            "E *    actual:   (missing)",
            'E *    fix: send RateLimit-Policy "default";q',
            "*_ test_limit_without_policy _*",
            "E *- RateLimit-Policy",
            "E *    expected: present (it holds the limit)",
            "E *    actual:   (missing)",
            'E *    fix: send RateLimit-Policy with the quota, e.g. RateLimit-Policy: "default";q=100;w=60',
        ]
    )


@pytest.mark.parametrize("prefix", ["RateLimit", "X-RateLimit"])
def test_field_trio_failures(sample_project: pytest.Pytester, prefix: str) -> None:
    name = prefix.replace("-", "_")
    result = run(
        sample_project,
        f"""
def test_values():
    found = response({name}_Limit="50", {name}_Remaining="7", {name}_Reset="60")
    assert_rate_limit_headers(found, limit=100, remaining=8)

def test_missing_and_malformed():
    assert_rate_limit_headers(response({name}_Limit="100", {name}_Reset="in a minute"))
        """,
        passed=0,
        failed=2,
    )
    style = "RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset"
    result.stdout.fnmatch_lines(
        [
            "*_ test_values _*",
            f"E *- {prefix}-Limit (limit)",
            "E *    expected: 100",
            "E *    actual:   50",
            f"E *- {prefix}-Remaining (remaining)",
            "E *    expected: 8",
            "E *    actual:   7",
            f"E *headers read as: {style if prefix == 'RateLimit' else 'X-' + style.replace(' / ', ' / X-')}",
            "*_ test_missing_and_malformed _*",
            f"E *- {prefix}-Remaining",
            "E *    expected: present",
            "E *    actual:   (missing)",
            f"E *    fix: send {prefix}-Remaining",
            f"E *- {prefix}-Reset",
            "E *    expected: a non-negative number",
            "E *    actual:   'in a minute'",
            f"E *    fix: send {prefix}-Reset as a non-negative number",
        ]
    )


def test_reads_any_response_with_headers() -> None:
    # A plain dict of headers (any case), as a non-httpx client might give.
    response = SimpleNamespace(headers={"RateLimit-Limit": "10", "ratelimit-remaining": "4", "RATELIMIT-RESET": "2.5"})
    assert assert_rate_limit_headers(response) == RateLimitHeaders("trio", 10, 4, 2.5)
