"""Pure-ASGI middleware: the global per-caller rate limit, and the rate limit headers of every response."""

from __future__ import annotations

import inspect
from typing import cast

from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_app.errors import send_problem
from reference_app.rate_limit.headers import DECISIONS_SCOPE_KEY, rate_limit_headers
from reference_app.rate_limit.limiter import Decision, Policy, RateLimitUnavailable, caller_identity, check_limit
from reference_app.redis_client import get_redis
from reference_app.settings import RateLimitSettings

DEFAULT_POLICY = "default"
# Failing closed during an outage: a failover takes seconds, and callers should not all come back at once.
OUTAGE_RETRY_AFTER = 5
UNAVAILABLE_DETAIL = "Rate limiting is unavailable; try again shortly."


def refused_detail(policy: Policy) -> str:
    """The 429 problem's detail for ``policy``."""
    return f"Rate limit {policy.name!r} of {policy.limit} requests per {policy.window} s exceeded."


def retry_after_header(seconds: int) -> tuple[bytes, bytes]:
    """The ``Retry-After`` header of a refused request."""
    return (b"retry-after", str(seconds).encode())


async def redis_for(scope: Scope) -> Redis:
    """The Redis client the app's routes would get for this request.

    A pure-ASGI middleware runs outside FastAPI's dependency injection, so it asks as injection would: for
    ``get_redis``, or what replaces it in the app's ``dependency_overrides`` (tests put ``mock_redis`` there),
    else the limiter would use another server than the routes. Plain and async providers are supported.
    """
    overrides = getattr(scope.get("app"), "dependency_overrides", {})
    client = overrides.get(get_redis, get_redis)()
    return cast(Redis, await client if inspect.isawaitable(client) else client)


class RateLimitMiddleware:
    """Refuse callers over ``settings.requests`` per ``settings.window_seconds`` with a 429 problem.

    Settings are read per request. Paths under ``settings.exempt_paths`` are not counted, but still get the
    headers of ``rate_limit`` dependencies, which this middleware writes for every decision of the request.
    """

    def __init__(self, app: ASGIApp, settings: RateLimitSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.settings.enabled:
            await self.app(scope, receive, send)
            return
        decisions: list[Decision] = []
        scope[DECISIONS_SCOPE_KEY] = decisions
        if not self._exempt(scope["path"]) and await self._refused(scope, send, decisions):
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and decisions:
                message = {**message, "headers": [*message.get("headers", []), *rate_limit_headers(decisions)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _exempt(self, path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.settings.exempt_paths)

    async def _refused(self, scope: Scope, send: Send, decisions: list[Decision]) -> bool:
        """Charge the request to its caller; answer 429 over the limit, 503 when Redis is down and failing closed."""
        settings = self.settings
        policy = Policy(DEFAULT_POLICY, settings.requests, settings.window_seconds)
        try:
            decision = await check_limit(
                lambda: redis_for(scope), policy, caller_identity(scope), fail_open=settings.fail_open
            )
        except RateLimitUnavailable:
            await send_problem(scope, send, 503, UNAVAILABLE_DETAIL, headers=[retry_after_header(OUTAGE_RETRY_AFTER)])
            return True
        if decision is None:
            return False
        decisions.append(decision)
        if decision.allowed:
            return False
        extensions = {"violated-policies": [policy.name]}
        headers = [*rate_limit_headers(decisions), retry_after_header(decision.retry_after)]
        await send_problem(scope, send, 429, refused_detail(policy), headers=headers, **extensions)
        return True
