"""Database fixtures: one test database per run (per xdist worker), one rolled-back transaction per test."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from pytest_svc.async_fixtures import async_fixture
from pytest_svc.config import missing_setting, svc_config
from pytest_svc.databases import DatabaseError, drop_test_database, prepare_test_database, run_blocking
from pytest_svc.loop_resources import ConnectionPerLoop, ConnectionSource, SharedConnection


@dataclasses.dataclass(frozen=True)
class _TestDatabase:
    engine: AsyncEngine
    connections: ConnectionSource


def seed_with_hooks(pytestconfig: pytest.Config) -> Callable[[Connection], None]:
    """The seed callback that runs every ``pytest_svc_seed_db`` implementation on the new database."""

    def seed(connection: Connection) -> None:
        pytestconfig.hook.pytest_svc_seed_db(config=pytestconfig, connection=connection)

    return seed


@pytest.fixture(scope="session")
def _svc_database(pytestconfig: pytest.Config) -> Iterator[_TestDatabase]:
    config = svc_config(pytestconfig)
    if config.metadata is None:
        pytest.fail(missing_setting("metadata", "db_engine"), pytrace=False)
    metadata = config.metadata
    target = config.database
    seed = seed_with_hooks(pytestconfig)
    try:
        engine, _created = run_blocking(lambda: prepare_test_database(target, metadata, config.reuse_db, seed))
    except DatabaseError as exc:
        pytest.fail(str(exc), pytrace=False)
    connections: ConnectionSource = (
        ConnectionPerLoop(engine) if target.kind == "postgresql" else SharedConnection(engine)
    )
    yield _TestDatabase(engine, connections)
    run_blocking(connections.close)
    run_blocking(engine.dispose)
    if not config.reuse_db:
        run_blocking(lambda: drop_test_database(target))


@pytest.fixture(scope="session")
def db_engine(_svc_database: _TestDatabase) -> AsyncEngine:
    """The session's ``AsyncEngine`` on the test database, with the ``svc_metadata`` schema built.

    The plugin creates the database (``test_<name>``, ``test_<name>_gwN`` under xdist; in-memory SQLite by
    default), builds the schema once, runs ``pytest_svc_seed_db`` and drops it at the end (``--svc-reuse-db``
    keeps it). On PostgreSQL the engine pools nothing, so ``db_engine.connect()`` works from any event loop.
    Prefer ``db_session``: data written through the engine directly is committed and outlives the test.
    """
    return _svc_database.engine


@dataclasses.dataclass
class _TestTransaction:
    maker: async_sessionmaker[AsyncSession]
    sessions: list[AsyncSession] = dataclasses.field(default_factory=list)


@async_fixture
async def _svc_transaction(_svc_database: _TestDatabase) -> AsyncIterator[_TestTransaction]:
    # The one async fixture behind db_sessionmaker and db_session: each async fixture costs a trip through the
    # runner, and the per-test budget is about a millisecond.
    connections = _svc_database.connections
    connection = await connections.acquire()
    outer = await connection.begin()
    transaction = _TestTransaction(
        async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    )
    try:
        yield transaction
    finally:
        if outer.is_active:
            await outer.rollback()
        # Closed after the rollback, the sessions have no savepoint left to undo: no SQL is sent.
        for session in transaction.sessions:
            await session.close()
        await connections.release(connection)


@pytest.fixture
def db_sessionmaker(_svc_transaction: _TestTransaction) -> async_sessionmaker[AsyncSession]:
    """An ``async_sessionmaker`` whose sessions all live inside this test's transaction.

    The test holds one connection with an outer transaction; every session from this maker joins it with
    ``join_transaction_mode="create_savepoint"``, so ``commit()``, ``rollback()`` and ``async with
    maker.begin()`` in app code only touch savepoints, and everything is rolled back when the test ends.
    Sessions use ``expire_on_commit=False``. Give it to apps whose dependency yields a sessionmaker.
    """
    return _svc_transaction.maker


@pytest.fixture
def db_session(_svc_transaction: _TestTransaction) -> AsyncSession:
    """An ``AsyncSession`` inside this test's transaction; all its writes are rolled back after the test.

    ``await db_session.commit()`` is safe: it releases a savepoint, not the test's transaction. The app, when
    ``svc_db_dependency`` is set, gets its own session per request from the same transaction (as in
    production), so its writes are visible here and its ``rollback()`` cannot undo what the test wrote.
    Objects this session loaded before a request are not refreshed by it: ``await db_session.refresh(obj)``.
    """
    session = _svc_transaction.maker()
    _svc_transaction.sessions.append(session)
    return session
