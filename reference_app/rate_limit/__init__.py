"""Rate limiting: Redis token buckets per caller, a global middleware and a per-endpoint dependency.

``RateLimitMiddleware`` charges every request (but health probes) to its caller's bucket under the ``"default"``
policy from ``AppSettings.rate_limit``; ``Depends(rate_limit(limit=..., window=...))`` adds a route's own
policy. A refused request is a 429 problem with ``Retry-After``; every counted response carries the
``RateLimit-Policy``/``RateLimit`` headers and the legacy ``X-RateLimit-*`` ones (:mod:`.headers`). When Redis is
down, ``fail_open`` lets requests through and ``fail_open=false`` answers 503; either way it is logged and counted
in :data:`outages`.
"""

from __future__ import annotations

from reference_app.rate_limit.dependency import rate_limit
from reference_app.rate_limit.headers import rate_limit_headers
from reference_app.rate_limit.limiter import Decision, Policy, caller_identity, check_limit, outages, take_token
from reference_app.rate_limit.middleware import RateLimitMiddleware
from reference_app.rate_limit.script import TOKEN_BUCKET_SHA

__all__ = [
    "TOKEN_BUCKET_SHA",
    "Decision",
    "Policy",
    "RateLimitMiddleware",
    "caller_identity",
    "check_limit",
    "outages",
    "rate_limit",
    "rate_limit_headers",
    "take_token",
]
