"""The two engine recipes, side by side: the tests' engine and the engine of an app served in another process.

Both switch SQLite's foreign keys on, so SQLite checks references as PostgreSQL does, and attach the
databases that stand in for named schemas on SQLite (see :mod:`.schemas`). They differ in who controls
transactions:

- :func:`create_test_engine` (``db_engine``, the tests' rolled-back transactions) takes SQLite's transaction
  control away from pysqlite and issues ``BEGIN`` itself, so savepoints nest inside the test's transaction.
- :func:`create_served_engine` (``live_server``, load runs) keeps pysqlite's own transaction handling, as a
  production app on SQLite has it: under the tests' explicit ``BEGIN``, concurrent requests that read, then
  write, fail with "database is locked" at once.

In memory, the tests' database is a named shared-cache memory database (see :mod:`.target`) that a keeper
connection holds open until the engine is disposed: a connection SQLAlchemy invalidates (a statement cancelled
by a timeout, a task cancelled when its loop closes) is replaced by a new one on the same database, schema and
seed intact. Every ``connect()`` gets a connection of its own, as on a file; SQLite's shared cache locks tables,
not the database (see :func:`create_test_engine`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import event, make_url
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, NullPool
from sqlalchemy.util import await_only

from pytest_svc.db.schemas import MEMORY, attach_schemas, attached_files, schema_files
from pytest_svc.db.sqlite_cursor import use_one_trip_cursors
from pytest_svc.db.sqlite_types import render_for_sqlite
from pytest_svc.db.target import SHARED_MEMORY_QUERY, DatabaseTarget


def _foreign_keys_on(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _enable_sqlite_savepoints(engine: AsyncEngine, schemas: dict[str, str]) -> None:
    # sqlite3's legacy transaction control skips BEGIN before SAVEPOINT and DDL, so a released savepoint
    # escapes the outer ROLLBACK and the test's data leaks.  SQLAlchemy's documented recipe: let the driver
    # emit nothing and issue BEGIN ourselves.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        use_one_trip_cursors(dbapi_connection)
        dbapi_connection.isolation_level = None
        _foreign_keys_on(dbapi_connection)
        attach_schemas(dbapi_connection, schemas)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Straight to aiosqlite: one trip to its thread instead of three (cursor, execute, close) through
        # exec_driver_sql. Every test begins a transaction, and in-memory SQLite spends its time on those trips.
        driver_connection: Any = connection.connection.driver_connection
        await_only(driver_connection.execute("BEGIN"))


def _interrupt_when_invalidated(engine: AsyncEngine) -> None:
    # A statement cancelled on the loop (asyncio.wait_for, a task cancelled when its loop closes) goes on
    # running in aiosqlite's thread, holding its locks; SQLAlchemy's close of the invalidated connection waits
    # behind it. Interrupting it lets the close, and the cancelled test, end at once.
    # The close alone does not free the locks: sqlite3 cannot close a connection whose interrupted statement is
    # not finalized yet (its cursor still referenced from the cancelled task), and keeps it, transaction and locks
    # included, until it is. So a ROLLBACK is queued in the connection's thread before SQLAlchemy's close.
    # aiosqlite has no public call for "run this next without waiting"; its queue of (future, call) is the way.
    @event.listens_for(engine.sync_engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: ConnectionPoolEntry, _exception: BaseException | None) -> None:
        driver_connection: Any = record.driver_connection
        sqlite = getattr(driver_connection, "_connection", None)
        if sqlite is None:  # aiosqlite: already closed
            return
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed meanwhile
            sqlite.interrupt()  # thread-safe in sqlite3
        queue = getattr(driver_connection, "_tx", None)
        if queue is not None:
            queue.put_nowait((None, lambda: _roll_back_quietly(sqlite)))


def _roll_back_quietly(sqlite: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        if sqlite.in_transaction:
            sqlite.rollback()


def _memory_attachments(target: DatabaseTarget, schemas: tuple[str, ...]) -> dict[str, str]:
    # One shared-cache memory database per schema, named after the test database: file:<name>.<schema>?...
    database = target.test_url.database or ""
    query = "&".join(f"{key}={value}" for key, value in SHARED_MEMORY_QUERY.items() if key != "uri")
    return {name: f"{database}.{quote(name, safe='')}?{query}" for name in schemas}


def _keep_memory_database(engine: AsyncEngine, target: DatabaseTarget, attached: dict[str, str]) -> None:
    # A shared-cache memory database lives while one connection to it is open. This one, outside the pool,
    # holds it (and its attached schemas) until the engine is disposed, whatever the pool's connections go through.
    args, _ = engine.dialect.create_connect_args(target.test_url)  # the URI its pool's connections open
    keeper = sqlite3.connect(args[0], uri=True, check_same_thread=False)
    attach_schemas(keeper, attached)

    @event.listens_for(engine.sync_engine, "engine_disposed")
    def _on_dispose(_engine: Engine) -> None:
        keeper.close()


def create_test_engine(
    target: DatabaseTarget, schemas: tuple[str, ...] = (), options: Mapping[str, Any] | None = None
) -> AsyncEngine:
    """Build the AsyncEngine the tests use, with the named ``schemas`` attached on SQLite.

    ``options`` are ``db_engine_options``, checked by :mod:`.options` (no pool of their own).

    Each ``connect()`` gets a connection of its own: db_session's is held for the session (see
    :mod:`.connections`), and ``db_engine.connect()`` in a test gets another, outside the test's transaction. It
    sees what is committed, never the test's rows; SQLite serialises writers, so it cannot write while the
    test's transaction has written (a file: "database is locked" after the busy timeout; memory's shared cache
    locks tables: at once, "database table is locked", also for reading a table the test has written).
    PostgreSQL uses NullPool: asyncpg connections belong to the loop that opened them, so the engine keeps none;
    db_session keeps one open per event loop instead. Dispose the engine to let an in-memory database go.
    """
    extra = dict(options or {})
    if target.kind == "postgresql":
        return create_async_engine(target.test_url, poolclass=NullPool, **extra)
    if target.kind == "sqlite-memory":
        # Stated: SQLAlchemy picks a single-connection pool for mode=memory (deprecated in 2.1).
        engine = create_async_engine(target.test_url, poolclass=AsyncAdaptedQueuePool, **extra)
        attached = _memory_attachments(target, schemas)
        _keep_memory_database(engine, target, attached)
    else:
        engine = create_async_engine(target.test_url, **extra)
        attached = schema_files(Path(target.test_name), schemas)
    _enable_sqlite_savepoints(engine, attached)
    _interrupt_when_invalidated(engine)
    render_for_sqlite(engine)
    return engine


def create_served_engine(url: str | URL) -> AsyncEngine:
    """Build the engine of an app served in another process (``live_server``): a pool, as in production.

    On a SQLite file, it attaches the schemas the plugin built beside the file when it created the database.
    """
    engine = create_async_engine(url, pool_size=10, max_overflow=20)
    if engine.dialect.name == "sqlite":
        database = make_url(url).database
        schemas = attached_files(Path(database)) if database and database != MEMORY else {}

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            _foreign_keys_on(dbapi_connection)
            attach_schemas(dbapi_connection, schemas)

    return engine
