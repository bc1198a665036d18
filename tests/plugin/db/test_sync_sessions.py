"""db_sync_session, db_sync_sessionmaker, db_sync_connection: sync code's writes and commits vanish after each test."""

from __future__ import annotations

import os

import pytest

from tests.plugin.inner_runs import backend_args as shared_backend_args
from tests.plugin.inner_runs import run_setup_error

ON_POSTGRES = bool(os.environ.get("SVC_DB_URL"))

# Each backend a second, synchronous connection can open; in memory, only a named shared-cache database.
BACKENDS = {
    "sqlite-shared-memory": ("--svc-db-url=sqlite+aiosqlite:///file:svc_sync?mode=memory&cache=shared&uri=true",),
    "sqlite-file": ("--svc-db-url=sqlite+aiosqlite:///data/app.db",),
    "postgresql": (),  # SVC_DB_URL
}


def backend_args(backend: str) -> tuple[str, ...]:
    return shared_backend_args(backend, BACKENDS)


SYNC_TESTS = """
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sampleapp import Item


def add_item(session: Session, name: str) -> None:
    # Code under test, written as services are: it commits its own work.
    session.add(Item(name=name))
    session.commit()


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Item))


def test_commits_in_sync_code_stay_in_the_test(db_sync_session, db_sync_sessionmaker):
    add_item(db_sync_session, "a")
    with db_sync_sessionmaker.begin() as other:
        other.add(Item(name="b"))
    with db_sync_sessionmaker() as third:
        add_item(third, "c")
    assert count(db_sync_session) == 3


def test_the_next_test_finds_none_of_it(db_sync_session):
    assert count(db_sync_session) == 0


def test_a_rollback_after_an_integrity_error_keeps_the_tests_rows(db_sync_session):
    add_item(db_sync_session, "kept")
    db_sync_session.add(Item(name="kept"))
    with pytest.raises(IntegrityError):
        db_sync_session.commit()
    db_sync_session.rollback()
    assert db_sync_session.scalars(select(Item.name)).all() == ["kept"]


def test_raw_sql_on_the_connection_is_seen_by_the_session(db_sync_connection, db_sync_session):
    db_sync_connection.execute(text("INSERT INTO items (name) VALUES ('raw')"))
    assert db_sync_session.scalars(select(Item.name)).all() == ["raw"]
    assert db_sync_session.connection() is db_sync_connection


def test_code_in_another_thread_uses_the_same_transaction(db_sync_session, db_sync_sessionmaker):
    # As a sync app's endpoints behind Starlette's TestClient run, in a worker thread.
    worker = threading.Thread(target=lambda: add_item(db_sync_sessionmaker(), "from-a-thread"))
    worker.start()
    worker.join(timeout=30)
    assert db_sync_session.scalars(select(Item.name)).all() == ["from-a-thread"]


def test_foreign_keys_are_checked_as_on_postgresql(db_sync_session):
    from sampleapp import Book

    db_sync_session.add(Book(title="orphan", author_id=999))
    with pytest.raises(IntegrityError):
        db_sync_session.flush()


@pytest.mark.asyncio
async def test_and_the_async_side_finds_none_of_it_either(db_session):
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_sync_code_commits_inside_the_tests_transaction_and_is_rolled_back(
    sample_project: pytest.Pytester, backend: str
) -> None:
    args = backend_args(backend)
    sample_project.makepyfile(SYNC_TESTS)
    result = sample_project.runpytest_subprocess("-p", "no:randomly", *args, timeout=120)
    result.assert_outcomes(passed=7)
    assert not (sample_project.path / "data" / "test_app.db").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_session_and_engine_options_reach_the_sync_side(sample_project: pytest.Pytester, backend: str) -> None:
    args = backend_args(backend)
    sample_project.makeconftest(
        """
        import os

        import pytest
        from sqlalchemy.orm import Session

        class AppSession(Session):
            pass

        @pytest.fixture(scope="session")
        def db_session_options():
            return {"sync_session_class": AppSession, "autoflush": False, "info": {"tenant": "t1"}}

        @pytest.fixture(scope="session")
        def db_engine_options(pytestconfig):
            # connect_args belong to the async driver (psycopg would refuse asyncpg's server_settings).
            url = pytestconfig.getoption("svc_db_url") or os.environ.get("SVC_DB_URL", "")
            on_postgres = url.startswith("postgresql")
            connect_args = {"server_settings": {"application_name": "svc-async"}} if on_postgres else {"timeout": 0.25}
            return {"execution_options": {"svc_marker": 7}, "connect_args": connect_args}
        """
    )
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import text
        from conftest import AppSession

        def test_options(db_sync_session, db_sync_sessionmaker, db_sync_connection):
            for session in (db_sync_session, db_sync_sessionmaker()):
                assert isinstance(session, AppSession)  # sessionmaker makes a subclass of its class_
                assert session.autoflush is False and session.expire_on_commit is False
                assert session.info == {"tenant": "t1"}
            assert db_sync_connection.get_execution_options()["svc_marker"] == 7
            if db_sync_connection.dialect.name == "postgresql":
                name = db_sync_connection.scalar(text("SELECT current_setting('application_name')"))
                assert name != "svc-async"
            else:
                assert db_sync_connection.scalar(text("PRAGMA busy_timeout")) == 5000  # pysqlite's own default

        @pytest.mark.asyncio
        async def test_the_async_engine_has_them(db_connection):
            if db_connection.dialect.name == "postgresql":
                name = await db_connection.scalar(text("SELECT current_setting('application_name')"))
                assert name == "svc-async"
            else:
                assert await db_connection.scalar(text("PRAGMA busy_timeout")) == 250
        """
    )
    sample_project.runpytest_subprocess(*args, timeout=120).assert_outcomes(passed=2)


def test_sync_fixtures_work_on_the_default_in_memory_database(sample_project: pytest.Pytester) -> None:
    # The plugin's in-memory database is a named shared-cache one, so a second connection reaches it.
    sample_project.makepyfile(
        """
        from sqlalchemy import func, select
        from sampleapp import Item


        def test_writes(db_sync_session):
            db_sync_session.add(Item(name="sync"))
            db_sync_session.commit()
            assert db_sync_session.scalar(select(func.count()).select_from(Item)) == 1


        def test_finds_nothing(db_sync_session):
            assert db_sync_session.scalar(select(func.count()).select_from(Item)) == 0
        """
    )
    result = sample_project.runpytest("--svc-db-url=sqlite+aiosqlite://", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("fixture", ["db_sync_session", "db_sync_sessionmaker", "db_sync_connection"])
def test_sync_and_async_fixtures_in_one_test_are_refused(sample_project: pytest.Pytester, fixture: str) -> None:
    run_setup_error(
        sample_project,
        f"db_session, {fixture}",
        f"*this test uses {fixture} and db_session. They hold separate connections and transactions*",
        "*await db_session.run_sync(fn)*",
        args=BACKENDS["sqlite-file"],
    )


def test_run_sync_puts_sync_code_on_db_sessions_own_transaction(sample_project: pytest.Pytester) -> None:
    # What the docs and the refusal above offer async tests instead: the same transaction as db_session.
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        def add_item(session: Session, name: str) -> None:
            session.add(Item(name=name))
            session.commit()

        async def test_sync_code_through_run_sync(db_session, client):
            await db_session.run_sync(add_item, "from-sync-code")
            assert (await client.get("/items")).json() == ["from-sync-code"]

        async def test_rolled_back(db_session):
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
        """
    )
    sample_project.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.skipif(not ON_POSTGRES, reason="needs SVC_DB_URL pointing at PostgreSQL (CI's second pass sets it)")
def test_a_missing_sync_postgres_driver_names_the_package(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        import sys

        sys.modules["psycopg"] = None  # as if neither were installed: find_spec() answers None
        sys.modules["psycopg2"] = None
        """
    )
    sample_project.makepyfile(
        """
        def test_sync(db_sync_session):
            pass
        """
    )
    result = sample_project.runpytest_subprocess(timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*db_sync_session needs a synchronous PostgreSQL driver*", "*pip install 'psycopg?binary?'*"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


@pytest.mark.parametrize("backend", ["sqlite-file", "postgresql"])
def test_tables_in_named_schemas_are_reached_from_sync_code(pytester: pytest.Pytester, backend: str) -> None:
    from tests.plugin.db.test_schemas import schema_project

    args = schema_project(pytester, backend)
    pytester.makepyfile(
        test_sync_schemas="""
        from sqlalchemy import select
        from schemaapp import Invoice, User

        def test_writes_across_two_schemas(db_sync_session):
            user = User(email="sync@example.com")
            db_sync_session.add(user)
            db_sync_session.flush()
            db_sync_session.add(Invoice(user_id=user.id, cents=5))
            db_sync_session.commit()
            assert db_sync_session.scalars(select(Invoice.cents)).all() == [5]

        def test_and_rolled_back(db_sync_session):
            assert db_sync_session.scalars(select(User)).all() == []
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly", *args, timeout=120).assert_outcomes(passed=2)
