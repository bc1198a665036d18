"""The two engine recipes, side by side: the tests' engine and the engine of an app served in another process.

Both switch SQLite's foreign keys on, so SQLite checks references as PostgreSQL does, and attach the
databases that stand in for named schemas on SQLite (see :mod:`.schemas`). They differ in who controls
transactions:

- :func:`create_test_engine` (``db_engine``, the tests' rolled-back transactions) takes SQLite's transaction
  control away from pysqlite and issues ``BEGIN`` itself, so savepoints nest inside the test's transaction.
- :func:`create_served_engine` (``live_server``, load runs) keeps pysqlite's own transaction handling, as a
  production app on SQLite has it: under the tests' explicit ``BEGIN``, concurrent requests that read, then
  write, fail with "database is locked" at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool
from sqlalchemy.util import await_only

from pytest_svc.db.schemas import MEMORY, attach_schemas, attached_files, schema_files
from pytest_svc.db.sqlite_types import render_for_sqlite
from pytest_svc.db.target import DatabaseTarget


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
        dbapi_connection.isolation_level = None
        _foreign_keys_on(dbapi_connection)
        attach_schemas(dbapi_connection, schemas)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Straight to aiosqlite: one trip to its thread instead of three (cursor, execute, close) through
        # exec_driver_sql. Every test begins a transaction, and in-memory SQLite spends its time on those trips.
        driver_connection: Any = connection.connection.driver_connection
        await_only(driver_connection.execute("BEGIN"))


def create_test_engine(
    target: DatabaseTarget, schemas: tuple[str, ...] = (), options: Mapping[str, Any] | None = None
) -> AsyncEngine:
    """Build the AsyncEngine the tests use, with the named ``schemas`` attached on SQLite.

    ``options`` are ``db_engine_options``, checked by :mod:`.options` (no pool of their own).

    In-memory SQLite has exactly one connection (StaticPool), shared by every test: aiosqlite connections
    work from any loop.  PostgreSQL uses NullPool: asyncpg connections belong to the loop that opened them,
    so the engine keeps none; db_session keeps one open per event loop instead (see :mod:`.connections`).
    """
    extra = dict(options or {})
    if target.kind == "postgresql":
        return create_async_engine(target.test_url, poolclass=NullPool, **extra)
    if target.kind == "sqlite-memory":
        engine = create_async_engine(target.test_url, poolclass=StaticPool, **extra)
        attached = dict.fromkeys(schemas, MEMORY)
    else:
        engine = create_async_engine(target.test_url, **extra)
        attached = schema_files(Path(target.test_name), schemas)
    _enable_sqlite_savepoints(engine, attached)
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
