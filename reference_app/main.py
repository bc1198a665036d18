"""The application factory and the module-level ``app``: settings, lifespan, feature routers, error handlers and
middleware put together; the features and the infrastructure live in their own packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reference_app.cache import close_cache
from reference_app.db import dispose_engine
from reference_app.documents.router import router as documents_router
from reference_app.echo.router import router as echo_router
from reference_app.errors import add_problem_handlers
from reference_app.health.router import router as health_router
from reference_app.middleware import BodySizeLimitMiddleware
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
    """Build the app: documents, users, ``/health/live`` and ``/echo``; problem+json errors, size and rate limits."""
    settings = settings or get_settings()
    app = FastAPI(title=settings.title, lifespan=lifespan)
    app.state.settings = settings
    for router in (documents_router, users_router, health_router, echo_router):
        app.include_router(router)
    add_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Added last, so outermost: a refused caller costs no body read.
    app.add_middleware(RateLimitMiddleware, settings=settings.rate_limit)
    return app


app = create_app()
