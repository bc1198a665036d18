"""Per-loop connections: where each test gets the connection that holds its outer transaction.

asyncpg connections belong to the loop that opened them: using one from another loop fails with "attached to
a different loop" or "another operation is in progress".  Test runners differ in how long a loop lives
(pytest-asyncio: per test, module or session; anyio: as long as a fixture holds its runner), so db_session
keeps one connection per running loop and closes it when that loop shuts down, whatever its scope.  A loop
that lives for the whole session keeps one connection for all its tests: no reconnect per test.

No library offers "run this when the current loop shuts down"; both asyncio.Runner (pytest-asyncio, anyio)
call ``loop.shutdown_asyncgens()`` on close, which finalises every async generator the loop has started.  A
parked async generator whose ``finally`` closes the connection is therefore the hook.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# Strong references: a parked guard that was garbage collected would close its connection early.
_parked_guards: set[AsyncIterator[None]] = set()


async def call_at_loop_shutdown(close: Callable[[], Awaitable[None]]) -> None:
    """Arrange for ``close()`` to run inside the current loop when the loop shuts down its async generators."""

    async def guard() -> AsyncIterator[None]:
        from pytest_svc.db.guards import plugin_work

        try:
            yield
        finally:
            try:
                with plugin_work():
                    await close()
            except Exception:  # the server may have dropped it already (DROP DATABASE ... WITH (FORCE))
                log.debug("pytest-svc: closing a loop's connection failed", exc_info=True)
            _parked_guards.discard(agen)

    agen = guard()
    await agen.__anext__()
    _parked_guards.add(agen)


class ConnectionSource(Protocol):
    """Where a test gets the connection that holds its outer transaction."""

    async def acquire(self) -> AsyncConnection: ...

    async def release(self, connection: AsyncConnection) -> None: ...

    async def close(self) -> None: ...


class SharedConnection:
    """One connection for the whole session (SQLite: aiosqlite connections work from any loop).

    Keeping it checked out skips the pool's checkout and reset-on-return ROLLBACK on every test. One that
    SQLAlchemy invalidated (a cancelled statement) is replaced by a new one on the same database: in memory, the
    engine keeps the database alive without it (see :mod:`.engines`).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> AsyncConnection:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = await self._engine.connect()
        elif self._connection.in_transaction():  # a test that died half-way: start clean
            await self._connection.rollback()
        return self._connection

    async def release(self, connection: AsyncConnection) -> None:
        if connection.invalidated:
            self._connection = None
            await connection.close()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


class ConnectionPerLoop:
    """Keep one open connection per running event loop, closed when that loop shuts down."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncConnection] = (
            weakref.WeakKeyDictionary()
        )

    async def acquire(self) -> AsyncConnection:
        loop = asyncio.get_running_loop()
        connection = self._connections.get(loop)
        if connection is not None and not connection.closed and not connection.invalidated:
            if connection.in_transaction():  # a test that died half-way: start clean
                await connection.rollback()
            return connection
        connection = await self._engine.connect()
        self._connections[loop] = connection

        async def close() -> None:
            self._connections.pop(loop, None)
            await connection.close()

        await call_at_loop_shutdown(close)
        return connection

    async def release(self, connection: AsyncConnection) -> None:
        if connection.invalidated:
            self._connections.pop(asyncio.get_running_loop(), None)
            await connection.close()

    async def close(self) -> None:
        # Each connection is closed by its own loop's shutdown; other loops cannot touch it.
        return None
