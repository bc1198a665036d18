"""Assertion helpers for the headers at a service's edge: request IDs and security headers.

Messages follow :mod:`pytest_svc.assertions.records`: every wrong field with expected, actual and the fix.
The security profile is the OWASP Secure Headers Project's recommendation (``ci/headers_add.json`` and
``headers_remove.json``) narrowed to what a JSON API answers with.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from pytest_svc.assertions._report import MISSING, Text, fail, mismatch
from pytest_svc.assertions.http import is_problem

# What a request ID may look like: printable, no spaces (nothing that could forge a log line), 8 to 128 long.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
UNKNOWN_PROFILE_MESSAGE = "assert_security_headers: no profile {profile!r}; the profiles are {profiles}"


def _headers(response: Any) -> Mapping[str, str]:
    headers = getattr(response, "headers", response)
    if not isinstance(headers, Mapping):
        raise TypeError(f"expected a response or a mapping of headers, got {type(response).__name__}")
    return headers


def _all_values(headers: Any, name: str) -> list[str]:
    get_list = getattr(headers, "get_list", None)  # httpx.Headers
    if callable(get_list):
        return list(get_list(name))
    getlist = getattr(headers, "getlist", None)  # starlette.datastructures.Headers
    if callable(getlist):
        return list(getlist(name))
    value = next((value for key, value in headers.items() if key.lower() == name.lower()), None)
    return [] if value is None else [value]


def assert_request_id(response: Any, expected: str | None = None, *, header: str = "X-Request-ID") -> str:
    """Assert the response carries one request ID, ``expected`` when given: ``assert_request_id(response, sent_id)``.

    Checks that ``header`` appears exactly once, that its value looks like an ID (8 to 128 characters of letters,
    digits and ``._:-``, no spaces), that it is ``expected`` when given (the ID the test sent, echoed), and that a
    problem body's ``request_id`` member, when it has one, is the same ID. Returns the ID, to compare with logs or
    a later response.
    """
    __tracebackhide__ = True
    problems = []
    values = _all_values(_headers(response), header)
    value = values[0] if values else None
    if not values:
        fix = "add request-ID middleware (asgi-correlation-id) outermost, so every response carries the ID"
        problems.append(mismatch(header, Text("one request ID"), MISSING, fix))
    elif len(values) > 1:
        fix = "set the header in one place only: two middlewares, or the app and a middleware, both add it"
        problems.append(mismatch(header, Text("one value"), values, fix))
    elif not REQUEST_ID_PATTERN.fullmatch(values[0]):
        fix = "generate IDs of 8 to 128 characters of letters, digits and ._:- (a UUID), and refuse other incoming ones"
        problems.append(mismatch(header, Text("an ID (8 to 128 of A-Z a-z 0-9 . _ : -)"), values[0], fix))
    if expected is not None and value is not None and value != expected:
        fix = "keep a valid incoming ID instead of replacing it (check the middleware's validator)"
        problems.append(mismatch(f"{header} (the one sent)", expected, value, fix))
    body_id = _problem_request_id(response)
    if body_id is not MISSING and value is not None and body_id != value:
        fix = "fill the problem body's request_id from the same context variable the middleware sets"
        problems.append(mismatch("request_id (in the problem body)", value, body_id, fix))
    fail("assert_request_id", response, problems)
    assert value is not None
    return value


def _problem_request_id(response: Any) -> Any:
    content_type = _headers(response).get("content-type", "")
    if not is_problem(content_type) or not callable(getattr(response, "json", None)):
        return MISSING
    try:
        body = response.json()
    except ValueError:
        return MISSING
    return body.get("request_id", MISSING) if isinstance(body, Mapping) else MISSING


@dataclasses.dataclass(frozen=True)
class HeaderRule:
    """One header of a profile: the value OWASP recommends, and the check a value must pass."""

    name: str
    recommended: str
    check: Callable[[str], bool]
    why: str


def _hsts(value: str) -> bool:
    directives = [part.strip().lower() for part in value.split(";")]
    max_age = next((part.removeprefix("max-age=") for part in directives if part.startswith("max-age=")), "")
    return max_age.isdigit() and int(max_age) >= 31_536_000 and "includesubdomains" in directives


def _csp_api(value: str) -> bool:
    directives = {part.strip().split(" ")[0].lower(): part.strip().lower() for part in value.split(";") if part.strip()}
    return directives.get("default-src") == "default-src 'none'" and directives.get("frame-ancestors") == (
        "frame-ancestors 'none'"
    )


def _equals(*allowed: str) -> Callable[[str], bool]:
    return lambda value: value.strip().lower() in allowed


def _permissions(value: str) -> bool:
    features = [part.strip() for part in value.split(",") if part.strip()]
    return bool(features) and all(part.endswith("()") or part.endswith("(self)") for part in features)


def _no_store(value: str) -> bool:
    return "no-store" in [part.strip().lower() for part in value.split(",")]


API_PROFILE = (
    HeaderRule(
        "Strict-Transport-Security",
        "max-age=31536000; includeSubDomains",
        _hsts,
        "browsers must only reach the service over HTTPS, for a year at least",
    ),
    HeaderRule("X-Content-Type-Options", "nosniff", _equals("nosniff"), "no content-type sniffing"),
    HeaderRule(
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'",
        _csp_api,
        "a JSON API loads nothing and is framed by nobody",
    ),
    HeaderRule("X-Frame-Options", "DENY", _equals("deny"), "no framing, for browsers without frame-ancestors"),
    HeaderRule(
        "Referrer-Policy",
        "no-referrer",
        _equals("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"),
        "URLs must not leak to other sites",
    ),
    HeaderRule(
        "Permissions-Policy",
        "accelerometer=(), camera=(), geolocation=(), microphone=(), ... (OWASP's list)",
        _permissions,
        "every browser feature off (() or (self) only)",
    ),
    HeaderRule("Cross-Origin-Opener-Policy", "same-origin", _equals("same-origin"), "no cross-origin window handles"),
    HeaderRule(
        "Cross-Origin-Resource-Policy",
        "same-origin",
        _equals("same-origin", "same-site"),
        "other sites cannot embed the responses",
    ),
    HeaderRule(
        "X-Permitted-Cross-Domain-Policies", "none", _equals("none"), "no Flash or PDF cross-domain policy files"
    ),
    HeaderRule("Cache-Control", "no-store, max-age=0", _no_store, "API answers (often personal) are never stored"),
)
# Headers that tell an attacker what runs the service (OWASP's headers_remove.json).
API_REMOVED = ("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version")
PROFILES: dict[str, tuple[tuple[HeaderRule, ...], tuple[str, ...]]] = {"api": (API_PROFILE, API_REMOVED)}


def assert_security_headers(response: Any, profile: str = "api", *, ignore: Collection[str] = ()) -> None:
    """Assert the response's security headers: ``assert_security_headers(response)``, OWASP's values for an API.

    Lists every header of the profile that is missing or weaker than the OWASP Secure Headers Project
    recommends, with the recommended value (``Strict-Transport-Security``, ``X-Content-Type-Options``,
    ``Content-Security-Policy``, ``X-Frame-Options``, ``Referrer-Policy``, ``Permissions-Policy``, COOP, CORP,
    ``X-Permitted-Cross-Domain-Policies``, ``Cache-Control: no-store``), and every header that should not be there
    (``Server``, ``X-Powered-By``). ``ignore`` names headers not to check (e.g. HSTS on a plain-HTTP service).
    """
    __tracebackhide__ = True
    if profile not in PROFILES:
        raise ValueError(UNKNOWN_PROFILE_MESSAGE.format(profile=profile, profiles=", ".join(sorted(PROFILES))))
    rules, removed = PROFILES[profile]
    skipped = {name.lower() for name in ignore}
    headers = _headers(response)
    problems = []
    for rule in rules:
        if rule.name.lower() in skipped:
            continue
        values = _all_values(headers, rule.name)
        if not values:
            problems.append(mismatch(rule.name, rule.recommended, MISSING, f"add it: {rule.why}"))
        elif len(values) > 1:
            problems.append(mismatch(rule.name, rule.recommended, values, "set it once: the values conflict"))
        elif not rule.check(values[0]):
            problems.append(mismatch(rule.name, rule.recommended, values[0], f"make it at least as strict: {rule.why}"))
    for name in removed:
        if name.lower() not in skipped and (values := _all_values(headers, name)):
            fix = "drop it (uvicorn: --no-server-header; a middleware for the app's own): it names what runs"
            problems.append(mismatch(name, Text("no such header"), values[0], fix))
    fail("assert_security_headers", response, problems)
