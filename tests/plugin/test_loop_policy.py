"""The loop policy: pytest-svc's async fixtures run on the test's own loop, under every runner and loop scope."""

from __future__ import annotations

import textwrap

import pytest

from tests.plugin.inner_runs import RUNNERS, use_runner

# Each inner module: the app's lifespan, the DB session and the Redis client must all live on the test's loop
# (asyncpg and redis.asyncio fail loudly otherwise), and the second test must not see the first one's data.
LOOP_CHECKS = """
import asyncio
import pytest
from sqlalchemy import func, select
from sampleapp import Item

{marker}

async def test_first({backend_arg}app, client, db_session, mock_redis):
    assert app.state.startup_loop is asyncio.get_running_loop()
    assert (await client.post("/items/first")).status_code == 201
    assert (await client.post("/hits")).json() == {{"hits": 1}}
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 1

async def test_second({backend_arg}app, client, db_session, mock_redis):
    assert app.state.startup_loop is asyncio.get_running_loop()
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
    assert (await client.post("/hits")).json() == {{"hits": 1}}
    assert (await client.post("/items/second")).status_code == 201
"""


@pytest.mark.parametrize("runner", RUNNERS)
def test_fixtures_share_the_tests_loop(sample_project: pytest.Pytester, runner: str) -> None:
    marker = use_runner(sample_project, runner)
    if runner == "anyio":
        sample_project.makeconftest(
            """
            import pytest

            @pytest.fixture
            def anyio_backend():
                return "asyncio"
            """
        )
    backend_arg = "anyio_backend, " if runner == "anyio" else ""
    sample_project.makepyfile(test_loops=LOOP_CHECKS.format(marker=marker, backend_arg=backend_arg))
    result = sample_project.runpytest("-v")
    result.assert_outcomes(passed=2)


def test_loop_scope_mismatch_in_user_config_does_not_matter(sample_project: pytest.Pytester) -> None:
    # Tests on the session loop while async fixtures default to function loops: the classic
    # "attached to a different loop" setup. The plugin's fixtures follow the test, not the fixture default.
    ini = sample_project.path.joinpath("pytest.ini")
    ini.write_text(ini.read_text() + "\nasyncio_default_test_loop_scope = session\n")
    sample_project.makepyfile(
        test_loops=LOOP_CHECKS.format(marker="pytestmark = pytest.mark.asyncio", backend_arg="")
        + textwrap.dedent(
            """
            async def test_third(db_session, db_sessionmaker):
                async with db_sessionmaker.begin() as other:
                    other.add(Item(name="third"))
                assert await db_session.scalar(select(func.count()).select_from(Item)) == 1
            """
        )
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_anyio_on_trio_gets_a_clear_error(sample_project: pytest.Pytester) -> None:
    pytest.importorskip("trio")
    sample_project.makepyfile(
        """
        import pytest

        @pytest.fixture(params=["trio"])
        def anyio_backend(request):
            return request.param

        @pytest.mark.anyio
        async def test_on_trio(db_session):
            pass
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*runs on anyio's 'trio' backend, but pytest-svc's fixtures need asyncio*"])
    result.stdout.fnmatch_lines(['*return "asyncio"*'])


def test_sync_test_using_an_async_fixture_gets_a_clear_error(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        def test_not_async(db_session):
            pass

        def test_still_fine_afterwards(utc_now):
            assert utc_now.tzinfo is not None
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(errors=1, passed=1)
    result.stdout.fnmatch_lines(
        ["*test_not_async is not an async test, but the fixtures it uses need the event loop (db_session)*"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
