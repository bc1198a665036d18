"""Where a test's connection comes from on PostgreSQL: no server connect per function loop, isolation exact.

Function-scoped loops (pytest-asyncio's default) share the session's background connection; a loop that runs
several tests gets one of its own. Each behaviour runs in a subprocess with a timeout, so a hang fails.
"""

from __future__ import annotations

import os

import pytest

from tests.plugin.inner_runs import RUNNERS, use_runner

needs_postgres = pytest.mark.skipif(
    not os.environ.get("SVC_DB_URL"), reason="needs SVC_DB_URL pointing at PostgreSQL (CI's second pass sets it)"
)

pytestmark = needs_postgres

# Every test records the server process behind its connection; the last one checks how many there were.
BACKENDS_SEEN = """
import pytest
from sqlalchemy import func, select, text
from sampleapp import Item

{marker}
BACKENDS = set()


@pytest.mark.parametrize("n", range(12))
async def test_writes_and_sees_only_its_own_row(db_session, n):
    BACKENDS.add(await db_session.scalar(text("SELECT pg_backend_pid()")))
    db_session.add(Item(name=f"n{{n}}"))
    await db_session.commit()
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 1


async def test_server_connections_opened():
    print(f"BACKENDS={{len(BACKENDS)}}")
"""


@pytest.mark.parametrize("runner", list(RUNNERS))
def test_tests_reuse_server_connections_and_stay_isolated(sample_project: pytest.Pytester, runner: str) -> None:
    # Before: one connect (a new server process) per function loop, 12 for 12 tests.  Now: the background
    # connection serves the loops that run one test, and a loop that runs several opens one of its own.
    marker = use_runner(sample_project, runner)
    if runner.startswith("anyio"):  # anyio's marker parametrizes trio too, which pytest-svc refuses
        sample_project.makeconftest('import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n')
    sample_project.makepyfile(BACKENDS_SEEN.format(marker=marker))
    result = sample_project.runpytest_subprocess("-s", "-p", "no:randomly", timeout=120)
    result.assert_outcomes(passed=13)
    result.stdout.re_match_lines([r".*BACKENDS=[12]\b"])


def test_a_cancelled_statement_leaves_the_next_test_a_working_clean_connection(
    sample_project: pytest.Pytester,
) -> None:
    sample_project.makepyfile(
        """
        import asyncio
        import pytest
        from sqlalchemy import func, select, text
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_times_out(db_session):
            db_session.add(Item(name="lost"))
            await db_session.flush()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(db_session.execute(text("SELECT pg_sleep(5)")), 0.2)

        async def test_leaves_a_task_running(db_session):
            db_session.add(Item(name="left"))
            await db_session.flush()
            asyncio.get_running_loop().create_task(db_session.execute(text("SELECT pg_sleep(0.5)")))
            await asyncio.sleep(0.05)

        @pytest.mark.parametrize("n", range(3))
        async def test_next_starts_clean(db_session, n):
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
            db_session.add(Item(name="mine"))
            await db_session.commit()
        """
    )
    result = sample_project.runpytest_subprocess("-p", "no:randomly", timeout=120)
    # The leftover task's own failure (or its cancellation) is the lead's guard's to report; what matters here is
    # that the tests after it are clean and working.
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 4, result.stdout.str()
    result.stdout.no_fnmatch_line("*test_next_starts_clean*FAILED*")
    result.stdout.no_fnmatch_line("*ERROR*test_next_starts_clean*")


def test_driver_results_come_back_whole_through_the_background_connection(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import asyncio
        import pytest
        from sqlalchemy import select, text
        from sqlalchemy.exc import IntegrityError, ProgrammingError
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_streamed_rows(db_session):
            db_session.add_all([Item(name=f"n{i:03}") for i in range(120)])
            await db_session.flush()
            result = await db_session.stream_scalars(select(Item.name).order_by(Item.name))
            assert [name async for name in result] == [f"n{i:03}" for i in range(120)]

        async def test_many_rows_in_one_statement(db_connection):
            await db_connection.execute(Item.__table__.insert(), [{"name": f"m{i}"} for i in range(50)])
            assert await db_connection.scalar(text("SELECT count(*) FROM items")) == 50

        async def test_errors_keep_their_types(db_session):
            with pytest.raises(ProgrammingError, match="no_such_table"):
                await db_session.execute(text("SELECT * FROM no_such_table"))
            await db_session.rollback()
            assert await db_session.scalar(text("SELECT 1")) == 1

        async def test_concurrent_statements_on_the_connection_wait_their_turn(db_connection):
            async def one(i):
                return await db_connection.scalar(text(f"SELECT {i} FROM pg_sleep(0.01)"))
            assert await asyncio.gather(*(one(i) for i in range(5))) == list(range(5))

        async def test_and_again_on_the_next_loop(db_connection):
            async def one(i):
                return await db_connection.scalar(text(f"SELECT {i} FROM pg_sleep(0.01)"))
            assert await asyncio.gather(*(one(i) for i in range(5))) == list(range(5))

        async def test_engine_connections_are_separate(db_engine, db_connection):
            mine = await db_connection.scalar(text("SELECT pg_backend_pid()"))
            async with db_engine.connect() as other:
                assert await other.scalar(text("SELECT pg_backend_pid()")) != mine
        """
    )
    result = sample_project.runpytest_subprocess("-p", "no:randomly", timeout=120)
    result.assert_outcomes(passed=6)
