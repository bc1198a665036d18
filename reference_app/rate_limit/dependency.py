"""``rate_limit(limit=..., window=...)``: a per-endpoint limit, on top of the middleware's global one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from redis.asyncio import Redis

from reference_app.errors import TooManyRequestsError
from reference_app.rate_limit.headers import record_decision
from reference_app.rate_limit.limiter import Policy, RateLimitUnavailable, caller_identity, check_limit
from reference_app.rate_limit.middleware import OUTAGE_RETRY_AFTER, UNAVAILABLE_DETAIL, refused_detail
from reference_app.redis_client import RedisClient
from reference_app.settings import RateLimitSettings


def rate_limit(limit: int, window: int, *, name: str | None = None) -> Callable[..., Awaitable[None]]:
    """Dependency factory: at most ``limit`` requests per ``window`` seconds per caller on this route.

    ``Depends(rate_limit(limit=10, window=60))``. Each route has its own buckets, named after its path template
    (``"/echo"``) unless ``name`` is given; routes sharing a name share buckets. Callers are told apart as by the
    middleware (API key, credentials, IP). Over the limit the route answers a 429 problem with ``Retry-After``;
    when Redis is down it follows ``rate_limit.fail_open`` like the middleware, and ``rate_limit.enabled``
    switches it off. ``RateLimitMiddleware`` adds the route's policy to the response's rate limit headers.
    """
    Policy(name or "endpoint", limit, window)  # a bad limit fails at import, not at the first request

    async def limit_route(request: Request, redis: RedisClient) -> None:
        settings: RateLimitSettings = request.app.state.settings.rate_limit
        if not settings.enabled:
            return
        route_path: str = getattr(request.scope.get("route"), "path", request.url.path)
        policy = Policy(name or route_path, limit, window)

        async def connect() -> Redis:
            return redis

        try:
            decision = await check_limit(connect, policy, caller_identity(request.scope), fail_open=settings.fail_open)
        except RateLimitUnavailable as exc:
            raise HTTPException(503, UNAVAILABLE_DETAIL, headers={"Retry-After": str(OUTAGE_RETRY_AFTER)}) from exc
        if decision is None:
            return
        record_decision(request.scope, decision)
        if not decision.allowed:
            extensions = {"violated-policies": [policy.name]}
            raise TooManyRequestsError(refused_detail(policy), retry_after=decision.retry_after, **extensions)

    return limit_route
