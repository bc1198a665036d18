"""The rate limit response headers, and the per-request list of decisions they are made from.

``RateLimit-Policy`` and ``RateLimit`` follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026), sections 3
and 4: Structured Fields lists of named items, ``"default";q=100;w=60`` (quota, window in seconds) and
``"default";r=42;t=17`` (remaining quota, effective window in seconds; see :class:`Decision` for ``t`` in a
token bucket). Every policy that applied to the request is listed. The legacy ``X-RateLimit-Limit``,
``-Remaining`` and ``-Reset`` describe the most constrained one (a refused policy, else the fewest left);
``X-RateLimit-Reset`` is delta-seconds equal to its ``t``, not an epoch timestamp, so client clocks do not
matter.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import Scope

from reference_app.rate_limit.limiter import Decision

DECISIONS_SCOPE_KEY = "reference_app.rate_limit.decisions"


def record_decision(scope: Scope, decision: Decision) -> None:
    """Add ``decision`` to the request's headers; a no-op where ``RateLimitMiddleware`` is not installed."""
    decisions = scope.get(DECISIONS_SCOPE_KEY)
    if decisions is not None:
        decisions.append(decision)


def _sf_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rate_limit_headers(decisions: Sequence[Decision]) -> list[tuple[bytes, bytes]]:
    """The ``RateLimit-Policy``, ``RateLimit`` and legacy ``X-RateLimit-*`` headers for ``decisions``."""
    policies = ", ".join(f"{_sf_string(d.policy.name)};q={d.policy.limit};w={d.policy.window}" for d in decisions)
    limits = ", ".join(f"{_sf_string(d.policy.name)};r={d.remaining};t={d.reset}" for d in decisions)
    tightest = min(decisions, key=lambda d: (d.allowed, d.remaining))
    headers = {
        "ratelimit-policy": policies,
        "ratelimit": limits,
        "x-ratelimit-limit": str(tightest.policy.limit),
        "x-ratelimit-remaining": str(tightest.remaining),
        "x-ratelimit-reset": str(tightest.reset),
    }
    return [(name.encode(), value.encode()) for name, value in headers.items()]
