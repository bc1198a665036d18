"""The sync side: a synchronous ``Session`` on the test database, in a transaction of its own rolled back per test.

For code written against ``sqlalchemy.orm.Session`` (a sync repository, a script, a Celery task) tested from
plain ``def`` tests. A sync Session cannot use the async engine's connection outside ``run_sync`` (its driver
awaits), so the sync fixtures hold a second, synchronous connection to the same database: the test's rows are
rolled back as ``db_session``'s are, and ``commit()`` in the code under test releases a savepoint, but the two
never share a transaction. In an async test, ``await db_session.run_sync(fn)`` runs sync code on
``db_session``'s own transaction instead.

Which database a second connection can open decides where it works: a SQLite file (pysqlite), PostgreSQL
(psycopg, or psycopg2), and the in-memory default, which the plugin makes a named shared-cache database.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from pytest_svc.db.engines import _foreign_keys_on
from pytest_svc.db.schemas import MEMORY, attach_schemas, schema_files
from pytest_svc.db.target import DatabaseTarget

NO_SYNC_POSTGRES_DRIVER = (
    "pytest-svc: {fixture} needs a synchronous PostgreSQL driver beside asyncpg, and neither psycopg nor psycopg2 "
    "is installed.\n  Install one: pip install 'psycopg[binary]' (or pip install 'pytest-svc[sync]')."
)
MIXED_WITH_ASYNC = (
    "pytest-svc: this test uses {fixture} and {other}. They hold separate connections and transactions: neither "
    "sees the other's writes, and on SQLite one waits for the other's lock.\n"
    "  Use the sync fixtures in tests without the async ones; in an async test, run sync code on db_session's "
    "transaction with await db_session.run_sync(fn), which passes fn db_session's sync Session."
)

_SYNC_POSTGRES_DRIVERS = ("psycopg", "psycopg2")


class SyncUnavailable(Exception):
    """The test database cannot be opened synchronously; the message (a template with ``{fixture}``) says why."""


def sync_url(target: DatabaseTarget) -> URL:
    """The test database's URL with a synchronous driver, or :class:`SyncUnavailable` saying why there is none."""
    if target.kind == "postgresql":
        for driver in _SYNC_POSTGRES_DRIVERS:
            if importlib.util.find_spec(driver) is not None:
                return target.test_url.set(drivername=f"postgresql+{driver}")
        raise SyncUnavailable(NO_SYNC_POSTGRES_DRIVER)
    # SQLite: a file, or the plugin's named shared-cache memory database, which any connection in the process
    # reaches by its URI.
    return target.test_url.set(drivername="sqlite+pysqlite")


def _sqlite_savepoints(engine: Engine, schemas: dict[str, str]) -> None:
    # The recipe create_test_engine applies to the async engine: pysqlite emits no BEGIN of its own (it would skip
    # it before SAVEPOINT, and a released savepoint would escape the outer rollback); the plugin issues it.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        _foreign_keys_on(dbapi_connection)
        attach_schemas(dbapi_connection, schemas)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def create_sync_test_engine(
    url: URL, target: DatabaseTarget, schemas: tuple[str, ...], options: Mapping[str, Any]
) -> Engine:
    """The sync engine on the test database at ``url`` (from :func:`sync_url`), with ``options`` applied.

    Its pool keeps the connection between tests (sync connections belong to no event loop). On SQLite it
    attaches the named ``schemas`` as the async engine does; on a shared in-memory database they are private to
    each connection, so tables in named schemas are not shared with it.
    """
    if target.kind == "postgresql":
        return create_engine(url, poolclass=QueuePool, **options)
    # Code under test may run in another thread (a sync app behind Starlette's TestClient runs its endpoints in
    # a worker thread): the test's connection is used by one thread at a time, but not always the same one.
    engine = create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False}, **options)
    memory = target.kind == "sqlite-memory"
    attached = dict.fromkeys(schemas, MEMORY) if memory else schema_files(Path(target.test_name), schemas)
    _sqlite_savepoints(engine, attached)
    return engine


@dataclasses.dataclass
class SyncTestTransaction:
    """One test's synchronous connection, its outer transaction, and the sessionmaker that joins it."""

    __test__ = False  # not a test class, whatever pytest's python_classes says

    connection: Connection
    maker: sessionmaker[Session]
    sessions: list[Session] = dataclasses.field(default_factory=list)

    @classmethod
    def begin(cls, engine: Engine, session_options: Mapping[str, Any]) -> SyncTestTransaction:
        """Connect, begin the outer transaction, and make the sessionmaker whose sessions join it by savepoints."""
        connection = engine.connect()
        try:
            connection.begin()
        except BaseException:
            connection.close()
            raise
        maker = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", **session_options)
        return cls(connection, maker)

    def open_session(self) -> Session:
        """A session in this transaction, closed when the test ends."""
        session = self.maker()
        self.sessions.append(session)
        return session

    def end(self) -> None:
        """Roll the outer transaction back, close the sessions (nothing left for them to undo), then the connection."""
        try:
            transaction = self.connection.get_transaction()
            if transaction is not None and transaction.is_active:
                transaction.rollback()
            for session in self.sessions:
                session.close()
        finally:
            self.connection.close()
