"""The application factory and the module-level ``app``: settings, lifespan, feature routers, error handlers and
middleware put together; the features and the infrastructure live in their own packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from reference_app.cache import close_cache
from reference_app.db import dispose_engine
from reference_app.documents.router import router as documents_router
from reference_app.echo.router import router as echo_router
from reference_app.errors import CrashAnswerMiddleware, add_problem_handlers
from reference_app.health.router import router as health_router
from reference_app.middleware import BodySizeLimitMiddleware, RequestIdMiddleware, SecurityHeadersMiddleware
from reference_app.observability import MetricsMiddleware, RequestLogMiddleware, RouteTemplates
from reference_app.observability.router import router as metrics_router
from reference_app.rate_limit import RateLimitMiddleware
from reference_app.redis_client import close_redis
from reference_app.settings import AppSettings, get_settings
from reference_app.users.router import router as users_router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Connect nothing on startup (engine and Redis are lazy); release both on shutdown."""
    try:
        yield
    finally:
        # First: queued write-behind writes and background refreshes still need the database and Redis.
        await close_cache()
        await dispose_engine()
        await close_redis()


def create_app(settings: AppSettings | None = None) -> FastAPI:
    """Build the app: documents, users, ``/health/live`` and ``/echo``; problem+json errors, size and rate limits,
    request IDs and security headers on every response, CORS and trusted hosts when the settings name any."""
    settings = settings or get_settings()
    app = FastAPI(title=settings.title, lifespan=lifespan)
    app.state.settings = settings
    for router in (documents_router, users_router, health_router, echo_router, metrics_router):
        app.include_router(router)
    add_problem_handlers(app)
    # Each add_middleware wraps the ones before it, so this reads from the inside out. Why this order:
    # - body size, then rate limit around it: a refused caller costs no body read;
    # - the crash answer around both: a crash anywhere inside becomes the 500 problem before it leaves;
    # - CORS around that (when origins are allowed): a page can read every answer, a 429 or a 500 included, and
    #   a preflight is answered before it is counted against the caller's rate limit;
    # - trusted hosts around CORS (when hosts are listed): a request for another host goes no further;
    # - security headers around those: every answer gets them, the middleware's own included;
    # - the request log and the metrics around everything but the request IDs: they time and see every answer;
    # - request IDs outermost: everything inside (problem bodies, logs, the limiter's answers) knows the request's ID.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimitMiddleware, settings=settings.rate_limit)
    app.add_middleware(CrashAnswerMiddleware)
    cors = settings.cors
    if cors.allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors.allow_origins,
            allow_methods=cors.allow_methods,
            allow_headers=cors.allow_headers,
            expose_headers=cors.expose_headers,
            allow_credentials=cors.allow_credentials,
            max_age=cors.max_age,
        )
    if settings.trusted_hosts.allowed_hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts.allowed_hosts)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings.security_headers)
    routes = RouteTemplates(lambda: app.openapi()["paths"])
    app.add_middleware(MetricsMiddleware, routes=routes)
    app.add_middleware(RequestLogMiddleware, settings=settings.logging, routes=routes)
    app.add_middleware(RequestIdMiddleware, settings=settings.request_id)
    return app


app = create_app()
