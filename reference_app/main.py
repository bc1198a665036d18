"""The application factory and the module-level ``app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI

from reference_app.body_limit import BodySizeLimitMiddleware
from reference_app.cache import close_cache
from reference_app.db import dispose_engine
from reference_app.documents import router as documents_router
from reference_app.problems import add_problem_handlers
from reference_app.rate_limit import RateLimitMiddleware, rate_limit
from reference_app.redis_client import close_redis
from reference_app.settings import AppSettings, get_settings
from reference_app.users import router as users_router


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
    app.include_router(documents_router)
    app.include_router(users_router)
    add_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Added last, so outermost: a refused caller costs no body read.
    app.add_middleware(RateLimitMiddleware, settings=settings.rate_limit)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        """Liveness: the process is serving requests."""
        return {"status": "ok"}

    @app.post("/echo", tags=["demo"], dependencies=[Depends(rate_limit(limit=10, window=60))])
    async def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Return the JSON object sent; a route of its own rate limit (10 a minute per caller) and no database."""
        return payload

    return app


app = create_app()
