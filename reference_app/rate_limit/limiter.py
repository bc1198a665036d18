"""Policies, decisions, callers, and taking a token with the fail-open or fail-closed outage policy."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import MaxConnectionsError, RedisError
from starlette.types import Scope

from reference_app.observability.metrics import RATE_LIMIT
from reference_app.rate_limit.script import run_token_bucket

log = logging.getLogger(__name__)

KEY_PREFIX = "ratelimit"
POOL_WAIT_SECONDS = 1.0

outages: Counter[str] = Counter()
"""Rate limit checks Redis could not answer, by outcome: ``"open"`` (let through), ``"closed"`` (refused, 503)."""


class RateLimitUnavailable(Exception):
    """Redis could not be asked, and the limiter fails closed: the caller answers 503."""


@dataclass(frozen=True)
class Policy:
    """A token bucket per caller: ``limit`` requests at once, refilled evenly over ``window`` seconds.

    ``name`` identifies the policy in the ``RateLimit`` headers and in the Redis key; it must be printable ASCII
    (a Structured Fields string).
    """

    name: str
    limit: int
    window: int

    def __post_init__(self) -> None:
        if not (self.name.isascii() and self.name.isprintable()) or self.limit < 1 or self.window < 1:
            raise ValueError(f"invalid rate limit policy {self!r}: printable ASCII name, limit and window >= 1")


@dataclass(frozen=True)
class Decision:
    """The answer for one request under one policy.

    ``remaining`` is the whole tokens left. ``reset`` (the header's ``t``) is the seconds until the bucket is
    full again, or, when no token is left, until the next one: a client that spends at most ``remaining``
    requests in the next ``reset`` seconds is never refused. ``retry_after`` is the seconds until the next
    token of a refused request (0 when allowed), so it equals ``reset`` there.
    """

    policy: Policy
    allowed: bool
    remaining: int
    reset: int
    retry_after: int


def _digest(secret: bytes) -> str:
    # Hashed so that no credential is ever written to Redis, where keys are listed and logged.
    return hashlib.sha256(secret).hexdigest()[:32]


def caller_identity(scope: Scope) -> str:
    """Who the request is charged to: its ``X-API-Key``, else its ``Authorization`` value, else its client IP.

    Credentials are not checked here (the middleware runs before authentication), so a user's bucket belongs
    to their token: two users never share one, and a user with two tokens has two. The IP is the ASGI client
    address; behind a proxy, let the server rewrite it from trusted forwarded headers (uvicorn
    ``--proxy-headers --forwarded-allow-ips``) rather than reading ``X-Forwarded-For`` here.
    """
    headers = dict(scope["headers"])
    if api_key := headers.get(b"x-api-key", b"").strip():
        return f"key:{_digest(api_key)}"
    if authorization := headers.get(b"authorization", b"").strip():
        return f"user:{_digest(authorization)}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


async def take_token(redis: Redis, policy: Policy, identity: str) -> Decision:
    """Take one token from ``identity``'s bucket under ``policy``; raises ``RedisError`` when Redis fails."""
    key = f"{KEY_PREFIX}:{policy.name}:{identity}"
    # redis-py's pool raises MaxConnectionsError at once when all its connections (100 by default) are busy. That
    # is back-pressure, not an outage: failing open on it would let any burst wider than the pool through
    # unlimited. So wait for a free connection, as a BlockingConnectionPool would, for up to POOL_WAIT_SECONDS.
    deadline = time.monotonic() + POOL_WAIT_SECONDS
    while True:
        try:
            result = await run_token_bucket(redis, key, policy.limit, policy.window * 1000)
            break
        except MaxConnectionsError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.001)
    allowed, remaining, full_ms, next_ms = result
    next_token = math.ceil(next_ms / 1000)
    reset = next_token if remaining == 0 else math.ceil(full_ms / 1000)
    return Decision(policy, bool(allowed), remaining, reset, 0 if allowed else next_token)


async def check_limit(
    connect: Callable[[], Awaitable[Redis]], policy: Policy, identity: str, *, fail_open: bool
) -> Decision | None:
    """Take a token, or apply the outage policy when Redis cannot answer.

    Any failure counts as an outage, getting the client as well as running the script: the limiter must not be
    why a request crashes. It is logged and counted in :data:`outages`; failing open returns ``None`` (let the
    request through, without rate limit headers), failing closed raises :class:`RateLimitUnavailable`.
    """
    try:
        decision = await take_token(await connect(), policy, identity)
    except Exception as exc:
        outcome = "open" if fail_open else "closed"
        outages[outcome] += 1
        RATE_LIMIT.labels(policy.name, f"unavailable_fail_{outcome}").inc()
        # A Redis error is an outage, its message is enough; anything else may be a bug: keep the traceback.
        traceback = not isinstance(exc, RedisError)
        log.warning("rate limit %r unavailable, failing %s: %r", policy.name, outcome, exc, exc_info=traceback)
        if fail_open:
            return None
        raise RateLimitUnavailable(policy.name) from exc
    RATE_LIMIT.labels(policy.name, "allowed" if decision.allowed else "denied").inc()
    return decision
