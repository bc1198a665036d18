"""The lazily created engine and session factory, and the request-scoped session dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from reference_app.settings import get_settings

# Created on first use, not at import, so importing the app (or collecting tests) never needs a database.
_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def get_engine() -> AsyncEngine:
    """Return the process-wide engine, creating it from the settings on first call."""
    global _engine
    if _engine is None:
        database = get_settings().database
        _engine = create_async_engine(database.url, echo=database.echo)
    return _engine


def engine_if_created() -> AsyncEngine | None:
    """The process's engine if one was made, else None (for metrics: reading them must not create one)."""
    return _engine


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    """Return the session factory bound to :func:`get_engine`, creating it on first call."""
    global _sessionmaker
    if _sessionmaker is None:
        # Objects stay readable after commit; lazy loads would fail outside the greenlet.
        _sessionmaker = async_sessionmaker(get_engine(), expire_on_commit=False)
    return _sessionmaker


async def get_db_session() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request; endpoints commit explicitly."""
    async with get_sessionmaker()() as session:
        yield session


async def dispose_engine() -> None:
    """Close the engine's pooled connections, if an engine was ever created."""
    global _engine, _sessionmaker
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessionmaker = None
