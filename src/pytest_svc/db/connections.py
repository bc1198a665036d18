"""Per-loop connections: where each test gets the connection that holds its outer transaction.

asyncpg connections belong to the loop that opened them: using one from another loop fails with "attached to
a different loop" or "another operation is in progress".  Test runners differ in how long a loop lives
(pytest-asyncio: per test, module or session; anyio: as long as a fixture holds its runner).  On PostgreSQL a loop
that runs one test is served by the session's background connection (its driver on a loop of its own, see
:mod:`.driver_thread`): no connect and no close on the test's path.  A loop that comes back for another test gets a
connection of its own, closed when that loop shuts down, whatever its scope: no reconnect per test, no thread hop.

No library offers "run this when the current loop shuts down"; both asyncio.Runner (pytest-asyncio, anyio)
call ``loop.shutdown_asyncgens()`` on close, which finalises every async generator the loop has started.  A
parked async generator whose ``finally`` closes the connection is therefore the hook.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pytest_svc.db.driver_thread import DriverLoop, remote_connector

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
    """PostgreSQL: a loop's first test shares one background connection; a loop that runs more gets its own.

    asyncpg connections belong to the loop that opened them. A loop that lives for one test (pytest-asyncio's
    function loops, the default) would otherwise pay a connect and a close per test, so its test gets the
    session's background connection: asyncpg runs on a loop in a thread of its own (:mod:`.driver_thread`) and the
    test's loop reaches it through a thin proxy, one thread hop per round trip. A loop that comes back for a second
    test (a class, module, package or session loop, anyio's runner) gets a connection opened on it, kept until it
    shuts down: no hop at all. Either way the test's outer transaction is rolled back before the next one starts.
    """

    # How long a new test waits for driver calls a previous test left running (its loop gone) before the
    # background connection is given up and replaced.
    SETTLE_TIMEOUT = 5.0

    def __init__(self, engine: AsyncEngine) -> None:
        from sqlalchemy import event

        self._engine = engine
        self._connections: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncConnection] = (
            weakref.WeakKeyDictionary()
        )
        self._seen: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        self._driver: DriverLoop | None = None
        self._remote: AsyncConnection | None = None
        self._connect_remotely = False
        event.listen(engine.sync_engine, "do_connect", self._on_do_connect)

    def _on_do_connect(self, _dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        # Only the connect acquire() asks for goes to the driver's loop; db_engine.connect() in a test stays direct.
        if self._connect_remotely:
            self._connect_remotely = False
            import asyncpg  # type: ignore[import-untyped]

            assert self._driver is not None
            cparams["async_creator_fn"] = remote_connector(self._driver, asyncpg.connect)

    async def acquire(self) -> AsyncConnection:
        loop = asyncio.get_running_loop()
        connection = self._connections.get(loop)
        if connection is not None and not connection.closed and not connection.invalidated:
            if connection.in_transaction():  # a test that died half-way: start clean
                await connection.rollback()
            return connection
        if loop not in self._seen:
            self._seen.add(loop)
            return await self._acquire_remote()
        connection = await self._engine.connect()
        self._connections[loop] = connection

        async def close() -> None:
            self._connections.pop(loop, None)
            await connection.close()

        await call_at_loop_shutdown(close)
        return connection

    async def _acquire_remote(self) -> AsyncConnection:
        remote = self._remote
        if remote is not None and self._driver is not None and not await self._driver.settle(self.SETTLE_TIMEOUT):
            # A call a gone test left running still holds the connection: give it up, the server rolls it back.
            self._remote = None
            await _discard(remote)
            remote = None
        if remote is None or remote.closed or remote.invalidated:
            if self._driver is None:
                self._driver = DriverLoop()
            self._connect_remotely = True
            try:
                remote = self._remote = await self._engine.connect()
            finally:
                self._connect_remotely = False
        else:
            _unbind_execute_mutex(remote)
            if remote.in_transaction():  # a test that died half-way: start clean
                await remote.rollback()
        return remote

    async def release(self, connection: AsyncConnection) -> None:
        if connection.invalidated:
            if connection is self._remote:
                self._remote = None
            else:
                self._connections.pop(asyncio.get_running_loop(), None)
            await connection.close()

    async def close(self) -> None:
        # Each loop's own connection is closed by that loop's shutdown; other loops cannot touch it. The background
        # connection is reachable from any loop, and its driver's loop stops after it.
        remote, self._remote = self._remote, None
        if remote is not None:
            await _discard(remote)
        if self._driver is not None:
            self._driver.stop()
            self._driver = None


async def _discard(connection: AsyncConnection) -> None:
    try:
        await connection.close()
    except Exception:  # the server may have dropped it already (DROP DATABASE ... WITH (FORCE))
        log.debug("pytest-svc: closing the background connection failed", exc_info=True)


def _unbind_execute_mutex(connection: AsyncConnection) -> None:
    """Let the background connection serve a new loop: SQLAlchemy's per-connection lock binds to the loop it
    first waited on, and would refuse any other once contended there."""
    adapted = connection.sync_connection.connection.dbapi_connection if connection.sync_connection else None
    lock = getattr(adapted, "_execute_mutex", None)
    if isinstance(lock, asyncio.Lock) and not lock.locked() and getattr(lock, "_loop", None) is not None:
        adapted._execute_mutex = asyncio.Lock()  # type: ignore[union-attr]


def restart_savepoint_names(connection: AsyncConnection) -> None:
    """Name the savepoints of the test's transaction from ``sa_savepoint_1`` again, as on a new connection.

    SQLAlchemy numbers savepoints per connection, and the test connection lives for the session: every test's
    ``SAVEPOINT`` would be a statement never seen before, which asyncpg prepares (a round trip more, and a
    server-side statement to close later) where a repeated one runs from SQLAlchemy's statement cache. The
    names only have to be unique inside one transaction, and each test's is new. SQLAlchemy has no public way
    to reset the counter; it is the connection's one private attribute read here.
    """
    sync = connection.sync_connection
    if sync is not None and hasattr(sync, "_Connection__savepoint_seq"):
        sync._Connection__savepoint_seq = 0
