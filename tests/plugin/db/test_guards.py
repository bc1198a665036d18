"""The test connection's guard, as a user meets it: isolation breaches fail the test that made them, not the next.

Each inner run is a subprocess with a timeout (a breach that slipped through could hang the connection), on
in-memory SQLite, a SQLite file and PostgreSQL. Every project's last test counts the rows of the table the others
wrote to: it must find none, or the breach leaked.
"""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import BACKENDS, backend_args, inner_ini, models_module

APP = models_module(
    "from sqlalchemy import String",
    """
class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
""",
)

HEADER = """
import asyncio

import pytest
from sqlalchemy import func, insert, select, text

from guardapp import Item

pytestmark = pytest.mark.asyncio


async def add(session, name):
    session.add(Item(name=name))
    await session.flush()
"""

# Sorted after every test module: pytest runs files in the order given, and a directory's in name order.
CHECK = """
import pytest
from sqlalchemy import func, select

from guardapp import Item


@pytest.mark.asyncio
async def test_zz_nothing_leaked(db_session):
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
"""


def guard_project(pytester: pytest.Pytester, backend: str, tests: str, *ini: str) -> tuple[str, ...]:
    args = backend_args(backend)
    pytester.makepyfile(guardapp=APP)
    pytester.makefile(".ini", pytest=inner_ini("svc_metadata = guardapp:Base", *ini))
    pytester.makepyfile(test_a_breaches=HEADER + tests, test_zz_check=CHECK)
    return args


def run(pytester: pytest.Pytester, args: tuple[str, ...]) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider", "-v", timeout=120)


OWN_TRANSACTION_TESTS = """
async def test_commits_the_connection(db_session):
    await add(db_session, "committed")
    await (await db_session.connection()).commit()


async def test_commits_and_swallows_the_error(db_session):
    await add(db_session, "swallowed")
    try:
        await (await db_session.connection()).commit()
    except Exception:
        pass


async def test_raw_commit(db_session):
    await add(db_session, "raw")
    await db_session.execute(text("COMMIT"))


async def test_rolls_back_db_connection(db_connection, db_session):
    await add(db_session, "rolled back")
    await db_connection.rollback()


async def test_commit_after_a_failing_assertion(db_session):
    await add(db_session, "after")
    try:
        assert 1 == 2
    finally:
        await (await db_session.connection()).commit()
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_ending_the_tests_own_transaction_fails_that_test_and_leaks_nothing(
    pytester: pytest.Pytester, backend: str
) -> None:
    result = run(pytester, guard_project(pytester, backend, OWN_TRANSACTION_TESTS))
    # Each breaching test errors at its own teardown (the swallowed one too); the check finds no row.
    result.assert_outcomes(passed=2, failed=4, errors=5)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_commits_the_connection*",
            "*test_commits_the_connection committed the test's own connection*it was refused*",
        ]
    )
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_commits_and_swallows_the_error*"])
    result.stdout.fnmatch_lines(["*test_raw_commit ran COMMIT on the test's own connection*"])
    result.stdout.fnmatch_lines(["*test_rolls_back_db_connection rolled back the test's own connection*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_commit_after_a_failing_assertion*"])
    result.stdout.fnmatch_lines(["*test_zz_check.py::test_zz_nothing_leaked PASSED*"])


ENGINE_TESTS = """
async def test_commits_through_db_engine(db_engine, db_session):
    async with db_engine.begin() as connection:
        await connection.execute(insert(Item).values(name="through the engine"))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_commit_through_db_engine_is_refused_and_reported(pytester: pytest.Pytester, backend: str) -> None:
    result = run(pytester, guard_project(pytester, backend, ENGINE_TESTS, ""))
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*test_commits_through_db_engine committed through db_engine*refused*"])
    result.stdout.fnmatch_lines(["*test_zz_nothing_leaked PASSED*"])


OWN_ENGINE_TESTS = """
from sqlalchemy.ext.asyncio import create_async_engine


async def test_commits_through_an_engine_of_its_own(db_engine, db_session):
    engine = create_async_engine(db_engine.url.render_as_string(hide_password=False))
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(Item).values(name="through the app's engine"))
    finally:
        await engine.dispose()
"""


@pytest.mark.parametrize("backend", ["sqlite-file", "postgresql"])
def test_a_commit_through_another_engine_on_the_test_database_is_refused(
    pytester: pytest.Pytester, backend: str
) -> None:
    result = run(pytester, guard_project(pytester, backend, OWN_ENGINE_TESTS))
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*test_commits_through_an_engine_of_its_own committed through an engine of its own*"])
    result.stdout.fnmatch_lines(["*test_zz_nothing_leaked PASSED*"])


DRIVER_TESTS = """
async def test_commits_on_the_driver(db_connection, db_session):
    await add(db_session, "behind the back")
    raw = await db_connection.get_raw_connection()
    driver = raw.driver_connection
    if hasattr(driver, "is_in_transaction"):  # asyncpg
        await driver.execute("COMMIT")
    else:  # aiosqlite
        await driver.commit()
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_commit_on_the_driver_is_found_at_teardown_and_the_database_reset(
    pytester: pytest.Pytester, backend: str
) -> None:
    result = run(pytester, guard_project(pytester, backend, DRIVER_TESTS))
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*test_commits_on_the_driver ended the test's transaction on the driver itself*"])
    result.stdout.fnmatch_lines(["*test_zz_nothing_leaked PASSED*"])


OTHER_LOOP_TESTS = """
async def test_uses_the_session_from_a_thread(db_session):
    async def in_the_thread():
        await add(db_session, "from the thread")

    await asyncio.to_thread(asyncio.run, in_the_thread())


async def test_the_next_test_starts_clean(db_session):
    await add(db_session, "next")
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 1
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_use_from_another_loop_is_refused_naming_both_loops(pytester: pytest.Pytester, backend: str) -> None:
    result = run(pytester, guard_project(pytester, backend, OTHER_LOOP_TESTS))
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*IsolationError: pytest-svc: *test_uses_the_session_from_a_thread used its database connection from "
            "event loop * in thread 'asyncio_*', but the connection belongs to the test's loop, event loop * in "
            "thread 'MainThread'*"
        ]
    )
    result.stdout.fnmatch_lines(["*test_the_next_test_starts_clean PASSED*"])
    result.stdout.no_fnmatch_line("*attached to a different loop*")


LEFTOVER_TASK_TESTS = """
async def writer(session):
    await add(session, "from the task")
    await asyncio.sleep(30)


async def late_writer(session):
    await asyncio.sleep(0.2)
    await add(session, "too late")


async def test_leaves_a_task_that_wrote(db_session):
    asyncio.create_task(writer(db_session), name="the-writer")
    await asyncio.sleep(0.05)


async def test_leaves_a_task_that_writes_later(db_session):
    asyncio.create_task(late_writer(db_session), name="the-late-writer")


async def test_the_next_test_waits_and_finds_nothing(db_session):
    await asyncio.sleep(0.4)
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
"""


@pytest.mark.parametrize("loop_scope", ["function", "session"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_task_left_running_is_reported_in_its_test_and_cannot_write_into_the_next(
    pytester: pytest.Pytester, backend: str, loop_scope: str
) -> None:
    ini = f"asyncio_default_test_loop_scope = {loop_scope}"
    result = run(pytester, guard_project(pytester, backend, LEFTOVER_TASK_TESTS, ini))
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaves_a_task_that_wrote*",
            "*test_leaves_a_task_that_wrote left task 'the-writer' (writer) running that used its database session*",
        ]
    )
    result.stdout.no_fnmatch_line("*another operation is in progress*")
    result.stdout.no_fnmatch_line("*cannot start a transaction within a transaction*")


STUBBORN_TASK_TESTS = """
async def stubborn(session):
    await add(session, "stubborn")
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        await asyncio.sleep(2)  # ignores the first cancellation for a while


async def test_leaves_a_stubborn_task(db_session):
    asyncio.create_task(stubborn(db_session), name="the-stubborn-one")
    await asyncio.sleep(0.05)
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_teardown_is_bounded_by_the_timeout_setting(pytester: pytest.Pytester, backend: str) -> None:
    ini = "svc_db_teardown_timeout = 0.5"
    result = run(pytester, guard_project(pytester, backend, STUBBORN_TASK_TESTS, ini))
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_leaves_a_stubborn_task's database teardown did not finish within 0.5 s (svc_db_teardown_timeout): "
            "still running: task 'the-stubborn-one' (stubborn)*"
        ]
    )
