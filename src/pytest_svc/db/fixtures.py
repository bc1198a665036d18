"""Database fixtures: one test database per run (per xdist worker), one rolled-back transaction per test."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_svc.config import add_run_note, missing_setting, svc_config
from pytest_svc.loop_policy import async_fixture
from pytest_svc.settings import SettingError

# SQLAlchemy and the modules built on it are imported by the fixtures, when a test first asks for a database.
if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
    from sqlalchemy.orm import Session, sessionmaker

    from pytest_svc.db.connections import ConnectionSource
    from pytest_svc.db.lifecycle import SchemaSource
    from pytest_svc.db.sessions import TestTransaction
    from pytest_svc.db.sync_sessions import SyncTestTransaction
    from pytest_svc.db.target import DatabaseTarget


@dataclasses.dataclass(frozen=True)
class _TestDatabase:
    engine: AsyncEngine
    connections: ConnectionSource
    source: SchemaSource
    teardown_timeout: float
    target: DatabaseTarget  # the database this run claimed (test_<name>, or test_<name>_2 when another run holds it)
    # db_session_options and db_engine_options, checked (the plugin's defaults under the former).
    session_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    engine_options: dict[str, Any] = dataclasses.field(default_factory=dict)


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
def _svc_database(
    pytestconfig: pytest.Config, db_engine_options: object, db_session_options: object
) -> Iterator[_TestDatabase]:
    from pytest_svc.db import options
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
            session_options = options.session_options(db_session_options)
            engine_options = options.engine_options(db_engine_options, target, echo=config.db_echo)
            database = stack.enter_context(claimed_database(target, source, config.reuse_db, engine_options))
        except (DatabaseError, options.OptionsError) as exc:
            failure = str(exc)
        if failure is not None:  # failed outside the except block: pytest would print the message twice, chained
            pytest.fail(failure, pytrace=False)
        add_run_note(pytestconfig, database.note)
        engine = database.engine
        connections: ConnectionSource = (
            ConnectionPerLoop(engine) if database.target.kind == "postgresql" else SharedConnection(engine)
        )
        with commits_guarded(engine):
            yield _TestDatabase(
                engine,
                connections,
                source,
                config.db_teardown_timeout,
                database.target,
                session_options,
                engine_options,
            )
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

    from pytest_svc.db.connections import restart_savepoint_names
    from pytest_svc.db.guards import guard_for, plugin_work
    from pytest_svc.db.sessions import TestTransaction, registered
    from pytest_svc.db.teardown import end_test_transaction

    connections = _svc_database.connections
    bind = _app_bind(request.config)
    with plugin_work():
        connection = await connections.acquire()
        guard = guard_for(connection)
    maker = async_sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", **_svc_database.session_options
    )
    problems: list[str] = []
    try:
        with plugin_work():
            watch = guard.start(request.node.nodeid)
            await connection.begin()
            restart_savepoint_names(connection)
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


@pytest.fixture(scope="session")
def db_session_options() -> dict[str, Any]:
    """Keyword arguments for every sessionmaker of the test's transaction; override it to match your app's. ``{}``.

    Override it session-scoped in a ``conftest.py`` (``@pytest.fixture(scope="session")``), returning e.g.
    ``{"autoflush": False}``, ``{"info": {...}}`` or ``{"class_": MyAsyncSession}``; they reach
    ``db_session``, ``db_sessionmaker`` and the sync fixtures (``sync_session_class`` becomes their class). The
    plugin's ``expire_on_commit=False`` applies unless the dict sets it. ``bind``, ``binds`` and
    ``join_transaction_mode`` are the plugin's and refused, as are arguments the session does not take.
    """
    return {}


@pytest.fixture(scope="session")
def db_engine_options() -> dict[str, Any]:
    """Keyword arguments for the test engine (``create_async_engine``); override it to match your app's. ``{}``.

    Override it session-scoped in a ``conftest.py``, returning e.g. ``{"echo": True}``, ``{"connect_args":
    {...}}``, ``{"json_serializer": dumps}`` or ``{"execution_options": {...}}``. The sync engine of
    ``db_sync_session`` gets them too, without ``connect_args`` (they belong to the async driver).
    ``poolclass``, ``pool`` and an ``AUTOCOMMIT`` isolation level are refused; ``--svc-db-echo`` adds ``echo``.
    """
    return {}


@pytest.fixture(scope="session")
def _svc_sync_engine(_svc_database: _TestDatabase) -> Iterator[Engine]:
    # Asked for only after _sync_transaction checked that the database can be opened synchronously.
    from pytest_svc.db.options import sync_engine_options
    from pytest_svc.db.sync_sessions import create_sync_test_engine, sync_url

    url = sync_url(_svc_database.target)
    options = sync_engine_options(_svc_database.engine_options)
    engine = create_sync_test_engine(url, _svc_database.target, _svc_database.source.schemas, options)
    yield engine
    engine.dispose()


@pytest.fixture
def _svc_sync_transaction(_svc_database: _TestDatabase, _svc_sync_engine: Engine) -> Iterator[SyncTestTransaction]:
    from pytest_svc.db.options import sync_session_options
    from pytest_svc.db.sync_sessions import SyncTestTransaction

    transaction = SyncTestTransaction.begin(_svc_sync_engine, sync_session_options(_svc_database.session_options))
    try:
        yield transaction
    finally:
        transaction.end()


_ASYNC_TRANSACTION_FIXTURES = ("db_session", "db_sessionmaker", "db_connection", "_svc_transaction")


def _sync_transaction(request: pytest.FixtureRequest, fixture: str) -> SyncTestTransaction:
    # The thin dispatcher of the sync fixtures: each check names the fixture the test asked for.
    _require_metadata(request, fixture)
    from pytest_svc.db.sync_sessions import MIXED_WITH_ASYNC, SyncUnavailable, sync_url

    other = next((name for name in _ASYNC_TRANSACTION_FIXTURES if name in request.fixturenames), None)
    if other is not None:
        shown = "db_session (through another fixture)" if other.startswith("_") else other
        pytest.fail(MIXED_WITH_ASYNC.format(fixture=fixture, other=shown), pytrace=False)
    database: _TestDatabase = request.getfixturevalue("_svc_database")
    failure: str | None = None
    try:
        sync_url(database.target)
    except SyncUnavailable as exc:
        failure = str(exc).format(fixture=fixture)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    transaction: SyncTestTransaction = request.getfixturevalue("_svc_sync_transaction")
    return transaction


@pytest.fixture
def db_sync_session(request: pytest.FixtureRequest) -> Session:
    """A synchronous ``Session`` on the test database, for code that takes a sync ``Session``; rolled back after.

    For plain ``def`` tests: it holds a second, synchronous connection (pysqlite on SQLite, psycopg or psycopg2 on
    PostgreSQL) with an outer transaction of its own, which it joins with ``join_transaction_mode=
    "create_savepoint"``, so ``commit()`` in the code under test releases a savepoint and everything is rolled
    back when the test ends. It never shares a transaction with ``db_session`` (asking for both is an error): in
    an async test, ``await db_session.run_sync(fn)`` runs sync code on ``db_session``'s own transaction. Needs a
    database a second connection can open: a SQLite file, PostgreSQL, or a shared-cache in-memory database.
    """
    return _sync_transaction(request, "db_sync_session").open_session()


@pytest.fixture
def db_sync_sessionmaker(request: pytest.FixtureRequest) -> sessionmaker[Session]:
    """A sync ``sessionmaker`` whose sessions all join ``db_sync_session``'s transaction; for sync apps' overrides.

    Every session from it shares the test's synchronous connection and joins its outer transaction by savepoints,
    as ``db_sync_session`` does; the transaction is rolled back when the test ends.
    """
    return _sync_transaction(request, "db_sync_sessionmaker").maker


@pytest.fixture
def db_sync_connection(request: pytest.FixtureRequest) -> Connection:
    """The sync fixtures' ``Connection``, inside the outer transaction ``db_sync_session`` joins; rolled back after.

    For Core statements and raw SQL from sync code. Never ``commit()`` or ``rollback()`` it: that ends the
    test's transaction (commit through a session instead, which releases a savepoint).
    """
    return _sync_transaction(request, "db_sync_connection").connection
