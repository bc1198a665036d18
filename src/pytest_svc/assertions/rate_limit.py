"""Assertion helpers for rate limiting: the 429 rejection and the rate limit headers.

Three header conventions are in use and all are accepted:

- draft-ietf-httpapi-ratelimit-headers (draft 08 on): ``RateLimit-Policy: "default";q=100;w=60`` (quota ``q``
  per window ``w`` seconds) and ``RateLimit: "default";r=42;t=17`` (``r`` remaining, ``t`` seconds to reset),
  Structured Field lists whose members name a policy;
- the earlier drafts' trio ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds);
- the de facto ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` (seconds, or an epoch
  timestamp as some APIs send).

Messages follow :mod:`pytest_svc.assertions.records`: every wrong field with expected, actual and the fix.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Literal

from pytest_svc.assertions._report import MISSING, Text, fail, json_body, mismatch
from pytest_svc.assertions.http import PROBLEM_MEDIA_TYPE, is_problem

RateLimitStyle = Literal["draft", "trio", "legacy"]

NO_HEADERS_MESSAGE = (
    "assert_rate_limit_headers: the response has no rate limit headers\n"
    "    expected one of: {styles}\n"
    "    headers present: {present}\n"
    "    fix: send the limiter's headers on every response it counts, 429s included"
)

_DELAY_SECONDS = re.compile(r"\d+")
_NUMBER = re.compile(r"\d+(\.\d+)?")
_STYLE_NAMES = {
    "draft": "RateLimit-Policy / RateLimit (draft-ietf-httpapi-ratelimit-headers)",
    "trio": "RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset",
    "legacy": "X-RateLimit-Limit / X-RateLimit-Remaining / X-RateLimit-Reset",
}


@dataclasses.dataclass(frozen=True)
class RateLimitHeaders:
    """What ``assert_rate_limit_headers`` read: the convention, and the values (None where not sent).

    ``reset`` is in seconds (``X-RateLimit-Reset`` may be an epoch timestamp: it is returned as sent);
    ``window`` and ``policy`` come from ``RateLimit-Policy`` only.
    """

    style: RateLimitStyle
    limit: int | None
    remaining: int | None
    reset: float | None
    window: int | None = None
    policy: str | None = None


def _headers(response: Any) -> dict[str, str]:
    """The response's headers with lower-case names (httpx, Starlette and requests headers, or a dict)."""
    return {str(name).lower(): value for name, value in response.headers.items()}


def _retry_after_problem(headers: Mapping[str, str], expected: int | None) -> str | None:
    value = headers.get("retry-after")
    if value is None:
        return mismatch("Retry-After", Text("delay-seconds"), MISSING, "send Retry-After with every 429")
    if not _DELAY_SECONDS.fullmatch(value.strip()):
        fix = "send Retry-After as whole seconds (delay-seconds), e.g. Retry-After: 17"
        return mismatch("Retry-After", Text("delay-seconds"), value, fix)
    if expected is not None and int(value) != expected:
        fix = "Retry-After must be the seconds until the client may retry (the limiter's reset)"
        return mismatch("Retry-After", expected, int(value), fix)
    return None


def assert_rate_limited(response: Any, retry_after: int | None = None) -> dict[str, Any]:
    """Assert a rate-limit rejection: HTTP 429 with an RFC 9457 problem body and a numeric ``Retry-After``.

    Checks the status, the ``application/problem+json`` content type, the body's ``status`` (429) and
    ``instance``, and that ``Retry-After`` is delay-seconds (equal to ``retry_after`` when given). Returns the
    body.
    """
    __tracebackhide__ = True
    headers = _headers(response)
    problems = []
    if response.status_code != 429:
        fix = "the limiter did not reject the request: check the limit, the key it counts by, and the window"
        problems.append(mismatch("HTTP status", 429, response.status_code, fix))
    content_type = headers.get("content-type", "")
    if not is_problem(content_type):
        fix = "answer the rejection as a problem details object (application/problem+json)"
        problems.append(mismatch("content-type", PROBLEM_MEDIA_TYPE, content_type, fix))
    body = json_body("assert_rate_limited", response)
    if not isinstance(body, Mapping):
        problems.append(mismatch("body", Text("a JSON object"), body, "return a problem details object"))
        body = {}
    if body.get("status", MISSING) != 429:
        fix = "the problem's status must repeat the HTTP status"
        problems.append(mismatch("status (in the body)", 429, body.get("status", MISSING), fix))
    instance = body.get("instance", MISSING)
    if not isinstance(instance, str) or not instance:
        fix = "set instance to the request's path (request.url.path)"
        problems.append(mismatch("instance", Text("a non-empty URI reference"), instance, fix))
    if (problem := _retry_after_problem(headers, retry_after)) is not None:
        problems.append(problem)
    fail("assert_rate_limited", response, problems, f"\nbody: {body!r}")
    return dict(body)


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside double-quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def _bare(value: str) -> str:
    return value[1:-1].replace('\\"', '"').replace("\\\\", "\\") if value.startswith('"') else value


def _parse_list(text: str) -> list[tuple[str, dict[str, str]]] | None:
    """A Structured Field list of items with parameters, as (name, {parameter: value}); None if malformed."""
    items = []
    for member in _split(text, ","):
        name, *params = _split(member, ";")
        if not name or name.count('"') % 2:
            return None
        parameters = {}
        for param in params:
            key, _, value = param.partition("=")
            if not key.strip():
                return None
            parameters[key.strip()] = _bare(value.strip()) if value else "?1"
        items.append((_bare(name), parameters))
    return items


class _Reader:
    """Reads integer header fields, collecting a mismatch for each one that is missing or not a number."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def number(self, field: str, value: str | None, *, required: bool = True, decimal: bool = False) -> Any:
        if value is None:
            if required:
                self.problems.append(mismatch(field, Text("present"), MISSING, f"send {field}"))
            return None
        if not (_NUMBER if decimal else _DELAY_SECONDS).fullmatch(value.strip()):
            kind = "a non-negative number" if decimal else "a non-negative integer"
            self.problems.append(mismatch(field, Text(kind), value, f"send {field} as {kind}"))
            return None
        return float(value) if decimal else int(value)


def _detect(headers: Mapping[str, str]) -> RateLimitStyle | None:
    if "ratelimit" in headers or ("ratelimit-policy" in headers and "ratelimit-limit" not in headers):
        return "draft"
    if any(f"ratelimit-{name}" in headers for name in ("limit", "remaining", "reset")):
        return "trio"
    if any(f"x-ratelimit-{name}" in headers for name in ("limit", "remaining", "reset")):
        return "legacy"
    return None


def _read_draft(headers: Mapping[str, str], policy: str | None, need_limit: bool, read: _Reader) -> RateLimitHeaders:
    problems = read.problems
    state_text, policy_text = headers.get("ratelimit"), headers.get("ratelimit-policy")
    states = _parse_list(state_text) if state_text is not None else []
    policies = _parse_list(policy_text) if policy_text is not None else []
    example = {"RateLimit": '"default";r=42;t=17', "RateLimit-Policy": '"default";q=100;w=60'}
    for field, text, parsed in (("RateLimit", state_text, states), ("RateLimit-Policy", policy_text, policies)):
        if text is not None and not parsed:
            fix = f"send a Structured Field list of named policies, e.g. {field}: {example[field]}"
            problems.append(mismatch(field, Text(f"a list like {example[field]}"), text, fix))
    if state_text is None:
        fix = 'send RateLimit with the current state, e.g. RateLimit: "default";r=42;t=17'
        problems.append(mismatch("RateLimit", Text("present"), MISSING, fix))
    if policy_text is None and need_limit:
        fix = 'send RateLimit-Policy with the quota, e.g. RateLimit-Policy: "default";q=100;w=60'
        problems.append(mismatch("RateLimit-Policy", Text("present (it holds the limit)"), MISSING, fix))
    name = policy or (states[0][0] if states else policies[0][0] if policies else None)
    state = next((params for item, params in states or () if item == name), None)
    quota = next((params for item, params in policies or () if item == name), None)
    if states and state is None:
        fix = "name the policy in RateLimit as in RateLimit-Policy"
        problems.append(mismatch("RateLimit", Text(f"a member for policy {name!r}"), state_text, fix))
    if policy_text is not None and policies and quota is None:
        fix = "list every policy that RateLimit reports in RateLimit-Policy"
        problems.append(mismatch("RateLimit-Policy", Text(f"a member for policy {name!r}"), policy_text, fix))
    where = f'"{name}"' if name is not None else ""
    remaining = read.number(f"RateLimit {where};r", state.get("r")) if state is not None else None
    reset = read.number(f"RateLimit {where};t", state.get("t"), required=False) if state is not None else None
    limit = read.number(f"RateLimit-Policy {where};q", quota.get("q")) if quota is not None else None
    window = read.number(f"RateLimit-Policy {where};w", quota.get("w"), required=False) if quota is not None else None
    return RateLimitHeaders("draft", limit, remaining, reset, window, name)


def _read_fields(headers: Mapping[str, str], style: RateLimitStyle, read: _Reader) -> RateLimitHeaders:
    prefix = "RateLimit" if style == "trio" else "X-RateLimit"
    lower = prefix.lower()
    limit = read.number(f"{prefix}-Limit", headers.get(f"{lower}-limit"))
    remaining = read.number(f"{prefix}-Remaining", headers.get(f"{lower}-remaining"))
    reset = read.number(f"{prefix}-Reset", headers.get(f"{lower}-reset"), decimal=True)
    return RateLimitHeaders(style, limit, remaining, reset)


def _limit_field(found: RateLimitHeaders, name: Literal["limit", "remaining"]) -> str:
    if found.style == "draft":
        return f'RateLimit-Policy "{found.policy}";q' if name == "limit" else f'RateLimit "{found.policy}";r'
    prefix = "RateLimit" if found.style == "trio" else "X-RateLimit"
    return f"{prefix}-{name.capitalize()}"


def assert_rate_limit_headers(
    response: Any, *, limit: int | None = None, remaining: int | None = None, policy: str | None = None
) -> RateLimitHeaders:
    """Assert the response carries rate limit headers: ``assert_rate_limit_headers(response, limit=100)``.

    Accepts ``RateLimit-Policy`` + ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers), the older
    ``RateLimit-Limit/-Remaining/-Reset`` trio, and ``X-RateLimit-Limit/-Remaining/-Reset``. Checks that the
    fields are present and numeric, ``remaining <= limit``, and ``limit`` / ``remaining`` when given. With the
    draft headers the policy checked is ``policy``, else the first one ``RateLimit`` names. Returns what it read.
    """
    __tracebackhide__ = True
    headers = _headers(response)
    style = _detect(headers)
    if style is None:
        present = ", ".join(sorted(headers.keys())) or "(none)"
        raise AssertionError(NO_HEADERS_MESSAGE.format(styles="; ".join(_STYLE_NAMES.values()), present=present))
    problems: list[str] = []
    read = _Reader(problems)
    if style == "draft":
        found = _read_draft(headers, policy, limit is not None, read)
    else:
        found = _read_fields(headers, style, read)
    checks: tuple[tuple[Literal["limit", "remaining"], int | None, int | None], ...] = (
        ("limit", limit, found.limit),
        ("remaining", remaining, found.remaining),
    )
    for name, expected, actual in checks:
        if expected is not None and actual is not None and actual != expected:
            fix = (
                "the limit must be the configured quota for this client and endpoint"
                if name == "limit"
                else "remaining must count down by one per request counted in the window"
            )
            problems.append(mismatch(f"{_limit_field(found, name)} ({name})", expected, actual, fix))
    if found.limit is not None and found.remaining is not None and found.remaining > found.limit:
        fix = "remaining can never exceed the limit: check which counter each header reads"
        problems.append(mismatch("remaining", Text(f"at most the limit ({found.limit})"), found.remaining, fix))
    fail("assert_rate_limit_headers", response, problems, f"\nheaders read as: {_STYLE_NAMES[style]}")
    return found
