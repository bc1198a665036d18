"""The test's connection and the engine's others: a cancelled statement costs no data, and no connection is shared.

Each behaviour runs on in-memory SQLite, a SQLite file and PostgreSQL (with SVC_DB_URL), in a subprocess with
a timeout: what is tested here used to hang on, or wipe, the database.
"""

from __future__ import annotations

import pytest

from tests.plugin.db.test_fixtures import SEED_CONFTEST
from tests.plugin.db.test_schemas import schema_project
from tests.plugin.inner_runs import BACKENDS, backend_args

TIMEOUT = 120

# Slow on each backend: a recursive count on SQLite (seconds for 10**7), a sleep on PostgreSQL.
SLOW_QUERIES = """
import asyncio

import pytest
from sqlalchemy import func, select, text
from sampleapp import Item

pytestmark = pytest.mark.asyncio


def slow(session, n=10**7):
    if session.bind.dialect.name == "postgresql":
        return text(f"SELECT pg_sleep({n / 10**6})")
    return text(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) SELECT count(*) FROM n")


async def assert_empty_and_writable(db_session):
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
    db_session.add(Item(name="after"))
    await db_session.flush()
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_statement_cancelled_by_a_timeout_leaves_the_next_tests_a_clean_database(
    sample_project: pytest.Pytester, backend: str
) -> None:
    sample_project.makepyfile(
        SLOW_QUERIES
        + """

async def test_times_out(db_session):
    db_session.add(Item(name="written before the timeout"))
    await db_session.flush()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(db_session.execute(slow(db_session)), 0.05)


async def test_after_the_timeout(db_session):
    await assert_empty_and_writable(db_session)


async def test_and_the_one_after(db_session):
    await assert_empty_and_writable(db_session)
"""
    )
    result = sample_project.runpytest_subprocess(*backend_args(backend), "-p", "no:randomly", timeout=TIMEOUT)
    result.assert_outcomes(passed=3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_task_cancelled_when_its_loop_closes_leaves_the_next_tests_a_clean_database(
    sample_project: pytest.Pytester, backend: str
) -> None:
    # The task still queries when the test's loop closes, and is cancelled mid-statement. How the leaving test
    # itself ends (its teardown meets the running task) is another matter: what counts here is the tests after it.
    sample_project.makepyfile(
        SLOW_QUERIES
        + """
tasks = []


async def test_leaves_a_querying_task(db_session):
    db_session.add(Item(name="written before the task"))
    await db_session.flush()

    async def keep_querying():
        while True:
            await db_session.execute(slow(db_session, 10**6))

    tasks.append(asyncio.get_running_loop().create_task(keep_querying()))
    await asyncio.sleep(0.05)


async def test_after_the_task(db_session):
    assert tasks[0].cancelled()
    await assert_empty_and_writable(db_session)


async def test_and_the_one_after(db_session):
    await assert_empty_and_writable(db_session)
"""
    )
    result = sample_project.runpytest_subprocess(*backend_args(backend), "-p", "no:randomly", "-v", timeout=TIMEOUT)
    result.stdout.fnmatch_lines(["*::test_after_the_task PASSED*", "*::test_and_the_one_after PASSED*"])


ENGINE_CONNECTIONS = """
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sampleapp import Item, IntNote

pytestmark = pytest.mark.asyncio


async def names(connection):
    return (await connection.scalars(select(Item.name))).all()


async def test_engine_connections_are_their_own(db_session, db_connection, db_engine):
    test_driver = (await db_connection.get_raw_connection()).driver_connection
    async with db_engine.connect() as other:
        assert (await other.get_raw_connection()).driver_connection is not test_driver
        assert await names(other) == ["seeded"]
    async with db_engine.begin() as other:  # a transaction of its own: none inside the test's
        assert (await other.get_raw_connection()).driver_connection is not test_driver
        assert await other.scalar(select(IntNote.id)) is None
        await other.rollback()  # nothing to commit, and a commit through db_engine is not the point here


async def test_they_never_see_the_tests_rows(db_session, db_engine):
    db_session.add(Item(name="the test's"))
    await db_session.flush()
    async with db_engine.connect() as other:
        if db_engine.url.query.get("mode") == "memory":
            # Shared cache locks tables: a table the test's transaction wrote cannot be read, at once.
            with pytest.raises(OperationalError, match="database table is locked: items"):
                await names(other)
        else:
            assert await names(other) == ["seeded"]
        assert await other.scalar(select(IntNote.id)) is None  # a table the test did not write
    assert (await db_session.scalars(select(Item.name).order_by(Item.id))).all() == ["seeded", "the test's"]


async def test_and_the_test_is_unaffected(db_session, db_engine):
    assert (await db_session.scalars(select(Item.name))).all() == ["seeded"]
"""

MEMORY_WRITE_LOCKED = """
import pytest
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError
from sampleapp import Item, IntNote

pytestmark = pytest.mark.asyncio


async def test_engine_writes_fail_while_the_test_has_written(db_session, db_engine):
    db_session.add(Item(name="the test's"))
    await db_session.flush()
    with pytest.raises(OperationalError, match="database table is locked"):
        async with db_engine.begin() as other:
            await other.execute(insert(IntNote).values(text="outside"))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_db_engine_connections_inside_a_test_are_never_the_tests(sample_project: pytest.Pytester, backend: str) -> None:
    sample_project.makeconftest(SEED_CONFTEST)
    sample_project.makepyfile(test_engine=ENGINE_CONNECTIONS)
    if backend == "sqlite-memory":
        sample_project.makepyfile(test_engine_writes=MEMORY_WRITE_LOCKED)
    result = sample_project.runpytest_subprocess(*backend_args(backend), "-p", "no:randomly", timeout=TIMEOUT)
    result.assert_outcomes(passed=4 if backend == "sqlite-memory" else 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_named_schemas_survive_a_cancelled_statement(pytester: pytest.Pytester, backend: str) -> None:
    # In memory each schema is a shared-cache database of its own, attached: the keeper holds those too.
    args = schema_project(pytester, backend)
    pytester.makepyfile(
        test_cancelled="""
import asyncio

import pytest
from sqlalchemy import func, select, text
from schemaapp import Invoice, User

pytestmark = pytest.mark.asyncio
SLOW = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000) SELECT count(*) FROM n"


async def test_times_out(db_session):
    db_session.add(User(email="before@example.com"))
    await db_session.flush()
    slow = "SELECT pg_sleep(10)" if db_session.bind.dialect.name == "postgresql" else SLOW
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(db_session.execute(text(slow)), 0.05)


async def test_both_schemas_are_there_and_empty(db_session):
    assert await db_session.scalar(select(func.count()).select_from(User)) == 0
    user = User(email="after@example.com")
    db_session.add(user)
    await db_session.flush()
    db_session.add(Invoice(user_id=user.id, cents=1))
    await db_session.flush()
"""
    )
    result = pytester.runpytest_subprocess(*args, "-p", "no:randomly", timeout=TIMEOUT)
    result.assert_outcomes(passed=2)
