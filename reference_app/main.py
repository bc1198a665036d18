"""The application factory and the module-level ``app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reference_app.body_limit import BodySizeLimitMiddleware
from reference_app.db import dispose_engine
from reference_app.documents import router as documents_router
from reference_app.problems import add_problem_handlers
from reference_app.redis_client import close_redis
from reference_app.settings import AppSettings, get_settings
from reference_app.users import router as users_router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Connect nothing on startup (engine and Redis are lazy); release both on shutdown."""
    try:
        yield
    finally:
        await dispose_engine()
        await close_redis()


def create_app(settings: AppSettings | None = None) -> FastAPI:
    """Build the app: documents and users APIs, ``/health/live``, problem+json errors, a body size limit."""
    settings = settings or get_settings()
    app = FastAPI(title=settings.title, lifespan=lifespan)
    app.state.settings = settings
    app.include_router(documents_router)
    app.include_router(users_router)
    add_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        """Liveness: the process is serving requests."""
        return {"status": "ok"}

    return app


app = create_app()
