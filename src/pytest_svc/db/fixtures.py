"""Database fixtures: one test database per run (per xdist worker), one rolled-back transaction per test."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_svc.config import add_run_note, missing_setting, svc_config
from pytest_svc.loop_policy import async_fixture
from pytest_svc.settings import SettingError

# SQLAlchemy and the modules built on it are imported by the fixtures, when a test first asks for a database.
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

    from pytest_svc.db.connections import ConnectionSource
    from pytest_svc.db.lifecycle import SchemaSource
    from pytest_svc.db.sessions import TestTransaction


@dataclasses.dataclass(frozen=True)
class _TestDatabase:
    engine: AsyncEngine
    connections: ConnectionSource
    source: SchemaSource
    teardown_timeout: float


def _require_metadata(request: pytest.FixtureRequest, fixture: str) -> None:
    # Checked by each public fixture before the session-wide database is made, so the message names the fixture
    # the test asked for (pytest-sqla's thin dispatchers). Migrations alone are a schema source too.
    if not svc_config(request.config).has_schema_source:
        pytest.fail(missing_setting("metadata", fixture), pytrace=False)


async def _closed(connections: ConnectionSource) -> None:
    from pytest_svc.db.guards import plugin_work

    with plugin_work():
        await connections.close()


@pytest.fixture(scope="session")
def _svc_database(pytestconfig: pytest.Config) -> Iterator[_TestDatabase]:
    from pytest_svc.db.connections import ConnectionPerLoop, SharedConnection
    from pytest_svc.db.guards import commits_guarded
    from pytest_svc.db.lifecycle import DatabaseError, claimed_database, run_blocking
    from pytest_svc.wiring import schema_source_with_hooks

    config = svc_config(pytestconfig)
    if not config.has_schema_source:  # the public fixtures checked first, naming themselves
        pytest.fail(missing_setting("metadata", "db_engine"), pytrace=False)
    target = config.database
    source = schema_source_with_hooks(pytestconfig, config.metadata, config.alembic_ini)
    failure: str | None = None
    with contextlib.ExitStack() as stack:
        try:
            database = stack.enter_context(claimed_database(target, source, config.reuse_db))
        except DatabaseError as exc:
            failure = str(exc)
        if failure is not None:  # failed outside the except block: pytest would print the message twice, chained
            pytest.fail(failure, pytrace=False)
        add_run_note(pytestconfig, database.note)
        engine = database.engine
        connections: ConnectionSource = (
            ConnectionPerLoop(engine) if database.target.kind == "postgresql" else SharedConnection(engine)
        )
        with commits_guarded(engine):
            yield _TestDatabase(engine, connections, source, config.db_teardown_timeout)
        run_blocking(lambda: _closed(connections))


@pytest.fixture(scope="session")
def db_engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """The session's ``AsyncEngine`` on the test database, with the schema built.

    The plugin creates the database (``test_<name>``, ``test_<name>_gwN`` under xdist; in-memory SQLite by
    default), runs ``pytest_svc_before_schema``, builds the schema once (``svc_metadata``'s tables in their named
    schemas, or ``svc_alembic_ini``'s migrations), runs ``pytest_svc_seed_db`` and drops it at the end
    (``--svc-reuse-db`` keeps it). On PostgreSQL the engine pools nothing, so ``db_engine.connect()`` works
    from any event loop.
    Prefer ``db_session``: data written through the engine directly is committed and outlives the test.
    """
    _require_metadata(request, "db_engine")
    database: _TestDatabase = request.getfixturevalue("_svc_database")
    return database.engine


def _app_bind(config: pytest.Config) -> async_sessionmaker[AsyncSession] | AsyncEngine | None:
    # svc_db_bind as a module attribute: the app's sessions join this test's transaction for every test that has
    # one, app or not (the app's services called directly too). An app.state place waits for the app's lifespan.
    # Resolved before the test's transaction begins, so a wrong setting leaves nothing open.
    place = svc_config(config).db_bind
    if place is None or place.on_app:
        return None
    from pytest_svc.db.rebinding import resolve_bind

    try:
        return resolve_bind(place)
    except SettingError as exc:
        pytest.fail(str(exc), pytrace=False)


def _rebinding(
    bind: async_sessionmaker[AsyncSession] | AsyncEngine | None, connection: AsyncConnection
) -> contextlib.AbstractContextManager[None]:
    if bind is None:
        return contextlib.nullcontext()
    from pytest_svc.db.rebinding import rebound

    return rebound(bind, connection)


@async_fixture
async def _svc_transaction(
    request: pytest.FixtureRequest, _svc_database: _TestDatabase
) -> AsyncIterator[TestTransaction]:
    # The one async fixture behind db_sessionmaker and db_session: each async fixture costs a trip through the
    # runner, and the per-test budget is about a millisecond.
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from pytest_svc.db.guards import guard_for, plugin_work
    from pytest_svc.db.sessions import TestTransaction, registered
    from pytest_svc.db.teardown import end_test_transaction

    connections = _svc_database.connections
    bind = _app_bind(request.config)
    with plugin_work():
        connection = await connections.acquire()
        guard = guard_for(connection)
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    problems: list[str] = []
    try:
        with plugin_work():
            watch = guard.start(request.node.nodeid)
            await connection.begin()
        with (
            registered(TestTransaction(connection, maker)) as transaction,
            _rebinding(bind, connection),
        ):
            try:
                yield transaction
            finally:
                with plugin_work():
                    problems = await end_test_transaction(
                        transaction, watch, _svc_database.source, _svc_database.teardown_timeout
                    )
    finally:
        guard.stop()
        with plugin_work():
            await connections.release(connection)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def db_sessionmaker(request: pytest.FixtureRequest) -> async_sessionmaker[AsyncSession]:
    """An ``async_sessionmaker`` whose sessions all live inside this test's transaction.

    The test holds one connection with an outer transaction; every session from this maker joins it with
    ``join_transaction_mode="create_savepoint"``, so ``commit()``, ``rollback()`` and ``async with
    maker.begin()`` in app code only touch savepoints, and everything is rolled back when the test ends.
    Sessions use ``expire_on_commit=False``. Give it to apps whose dependency yields a sessionmaker.
    """
    _require_metadata(request, "db_sessionmaker")
    transaction: TestTransaction = request.getfixturevalue("_svc_transaction")
    return transaction.maker


@pytest.fixture
def db_session(request: pytest.FixtureRequest) -> AsyncSession:
    """An ``AsyncSession`` inside this test's transaction; all its writes are rolled back after the test.

    ``await db_session.commit()`` is safe: it releases a savepoint, not the test's transaction. The app, when
    ``svc_db_dependency`` is set, gets its own session per request from the same transaction (as in
    production), so its writes are visible here and its ``rollback()`` cannot undo what the test wrote.
    Objects this session loaded before a request are not refreshed by it: ``await db_session.refresh(obj)``.
    """
    _require_metadata(request, "db_session")
    transaction: TestTransaction = request.getfixturevalue("_svc_transaction")
    return transaction.open_session()


@pytest.fixture
def db_connection(request: pytest.FixtureRequest) -> AsyncConnection:
    """The test's ``AsyncConnection``, inside the outer transaction every session of the test joins.

    For Core statements and raw SQL (``await db_connection.execute(text(...))``): what runs on it is seen by
    ``db_session`` and the app's sessions and rolled back with the test. Never ``commit()`` or ``rollback()`` it:
    that ends the test's own transaction (use ``db_session`` for commits, which release savepoints).
    """
    _require_metadata(request, "db_connection")
    transaction: TestTransaction = request.getfixturevalue("_svc_transaction")
    return transaction.connection
