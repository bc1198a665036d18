"""db_engine, db_sessionmaker and db_session: every test's writes vanish, app commits and rollbacks included."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.plugin.inner_runs import run_setup_error

ON_POSTGRES = bool(os.environ.get("SVC_DB_URL"))
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs SVC_DB_URL pointing at PostgreSQL (CI's second pass sets it)"
)


def pg_admin(sql: str, database: str = "postgres") -> list[tuple[object, ...]]:
    """Run one statement on the server behind SVC_DB_URL, outside any plugin machinery."""

    async def run() -> list[tuple[object, ...]]:
        url = make_url(os.environ["SVC_DB_URL"]).set(database=database)
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                result = await conn.execute(text(sql))
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_row_committed_by_app_code_is_gone_in_the_next_test(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_writes(client, db_session):
            assert (await client.post("/items/committed")).status_code == 201
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 1

        async def test_sees_nothing(client, db_session):
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
            assert (await client.get("/items/count")).json() == 0
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_app_rollback_keeps_the_tests_earlier_data(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from sampleapp import Item

        @pytest.mark.asyncio
        async def test_rollback(client, db_session):
            db_session.add(Item(name="from-test"))
            await db_session.flush()
            response = await client.post("/items/from-app/then-rollback")
            assert response.json() == {"rolled_back": "from-app"}
            assert (await client.get("/items")).json() == ["from-test"]
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


def test_commit_in_the_test_stays_inside_the_test(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_commit_then_sessionmaker_begin(db_session, db_sessionmaker):
            db_session.add(Item(name="a"))
            await db_session.commit()
            async with db_sessionmaker.begin() as other:
                other.add(Item(name="b"))
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 2

        async def test_clean(db_session):
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_failing_test_does_not_leak_into_the_next(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from sqlalchemy.exc import IntegrityError
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_breaks(db_session):
            db_session.add_all([Item(name="dup"), Item(name="dup")])
            with pytest.raises(IntegrityError):
                await db_session.flush()
            raise AssertionError("deliberate")

        async def test_after(db_session):
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
            db_session.add(Item(name="dup"))
            await db_session.flush()
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1, failed=1)


SEED_CONFTEST = """
from sqlalchemy.orm import Session
from sampleapp import Item

calls = []

def pytest_svc_seed_db(config, connection):
    calls.append(1)
    with Session(bind=connection) as session:
        session.add(Item(name="seeded"))
        session.flush()
"""


def test_seed_hook_runs_once_and_tests_roll_back_to_it(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(SEED_CONFTEST)
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import select
        from sampleapp import Item
        import conftest

        pytestmark = pytest.mark.asyncio

        @pytest.mark.parametrize("n", range(3))
        async def test_seeded(db_session, n):
            db_session.add(Item(name=f"extra{n}"))
            await db_session.flush()
            names = (await db_session.scalars(select(Item.name).order_by(Item.id))).all()
            assert names == ["seeded", f"extra{n}"]
            assert conftest.calls == [1]
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


@pytest.mark.parametrize("fixture", ["db_engine", "db_sessionmaker", "db_session", "db_connection"])
def test_a_db_fixture_without_metadata_names_itself_and_the_setting(pytester: pytest.Pytester, fixture: str) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    message = f"*svc_metadata is not set, and the {fixture} fixture needs it.*"
    run_setup_error(pytester, fixture, message, "*svc_metadata = *")


@pytest.mark.parametrize("workers", ["2"])
def test_xdist_workers_get_their_own_database(sample_project: pytest.Pytester, workers: str) -> None:
    sample_project.makepyfile(
        """
        import os
        import pytest
        from sqlalchemy import func, select, text
        from sampleapp import Item

        @pytest.mark.asyncio
        @pytest.mark.parametrize("n", range(8))
        async def test_isolated(client, db_session, db_engine, n):
            assert (await client.post(f"/items/n{n}")).status_code == 201
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 1
            worker = os.environ["PYTEST_XDIST_WORKER"]
            name = db_engine.url.database
            if db_engine.dialect.name == "postgresql":
                assert name.endswith(f"_{worker}") and name.startswith("test_")
                current = await db_session.scalar(text("SELECT current_database()"))
                assert current == name
        """
    )
    result = sample_project.runpytest_subprocess("-n", workers, "-p", "xdist")
    result.assert_outcomes(passed=8)


@needs_postgres
def test_database_named_in_the_url_is_untouched(sample_project: pytest.Pytester) -> None:
    name = make_url(os.environ["SVC_DB_URL"]).database
    assert name is not None
    pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        pg_admin("CREATE TABLE precious (v text)", name)
        pg_admin("INSERT INTO precious VALUES ('keep me')", name)
        sample_project.makepyfile(
            """
            import pytest

            @pytest.mark.asyncio
            async def test_writes(client):
                assert (await client.post("/items/x")).status_code == 201
            """
        )
        sample_project.runpytest().assert_outcomes(passed=1)
        assert pg_admin("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", name) == [("precious",)]
        assert pg_admin("SELECT v FROM precious", name) == [("keep me",)]
        assert pg_admin(f"SELECT datname FROM pg_database WHERE datname LIKE 'test_{name}%'") == []
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@needs_postgres
def test_foreign_test_database_is_refused_and_kept(sample_project: pytest.Pytester) -> None:
    test_name = f"test_{make_url(os.environ['SVC_DB_URL']).database}"
    pg_admin(f'CREATE DATABASE "{test_name}"')
    try:
        run_setup_error(
            sample_project, "db_session", f"*database '{test_name}' already exists*not created by pytest-svc*"
        )
        assert pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{test_name}'") == [(1,)]
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')


REUSE_CHECK = """
import pytest
from sqlalchemy import select
from sampleapp import Item
import conftest

@pytest.mark.asyncio
async def test_seeded_once(db_session):
    names = (await db_session.scalars(select(Item.name))).all()
    assert names == ["seeded"]
    assert conftest.calls == {calls}
"""


def test_sqlite_file_database_is_derived_created_and_removed(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(SEED_CONFTEST)
    sample_project.makepyfile(
        REUSE_CHECK.format(calls=[1])
        + """
def test_file_is_the_test_database(db_engine):
    assert db_engine.url.database == "data/test_app.db"
"""
    )
    url = "sqlite+aiosqlite:///data/app.db"
    sample_project.runpytest(f"--svc-db-url={url}").assert_outcomes(passed=2)
    assert not (sample_project.path / "data" / "test_app.db").exists()
    assert not (sample_project.path / "data" / "app.db").exists()

    sample_project.runpytest(f"--svc-db-url={url}", "--svc-reuse-db").assert_outcomes(passed=2)
    assert (sample_project.path / "data" / "test_app.db").exists()
    # Reused: the schema and seed data are there already, so the seed hook does not run again.
    sample_project.makepyfile(REUSE_CHECK.format(calls=[]))
    sample_project.runpytest(f"--svc-db-url={url}", "--svc-reuse-db").assert_outcomes(passed=1)
    assert (sample_project.path / "data" / "test_app.db").exists()


@needs_postgres
def test_reuse_db_keeps_the_postgres_database_between_runs(sample_project: pytest.Pytester) -> None:
    test_name = f"test_{make_url(os.environ['SVC_DB_URL']).database}"
    sample_project.makeconftest(SEED_CONFTEST)
    try:
        sample_project.makepyfile(REUSE_CHECK.format(calls=[1]))
        sample_project.runpytest("--svc-reuse-db").assert_outcomes(passed=1)
        assert pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{test_name}'") == [(1,)]
        sample_project.makepyfile(REUSE_CHECK.format(calls=[]))
        sample_project.runpytest("--svc-reuse-db").assert_outcomes(passed=1)
        # Without --svc-reuse-db the leftover (ours, by its mark) is replaced, then dropped at the end.
        sample_project.makepyfile(REUSE_CHECK.format(calls=[1]))
        sample_project.runpytest().assert_outcomes(passed=1)
        assert pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{test_name}'") == []
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')


def test_db_connection_is_the_tests_connection_and_rolled_back(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select, text
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_raw_sql_is_seen_by_the_sessions(db_connection, db_session, client):
            await db_connection.execute(text("INSERT INTO items (name) VALUES ('raw')"))
            assert (await db_session.scalars(select(Item.name))).all() == ["raw"]
            assert (await client.get("/items")).json() == ["raw"]
            assert (await db_session.connection()).sync_connection is db_connection.sync_connection

        async def test_and_rolled_back(db_connection):
            assert await db_connection.scalar(select(func.count()).select_from(Item)) == 0
        """
    )
    sample_project.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
