"""mock_redis: empty per test on fakeredis and on a real server, which is refused when it holds others' data."""

from __future__ import annotations

import os
import re

import pytest
import redis

from tests.plugin.inner_runs import run_setup_error

ON_REAL_REDIS = bool(os.environ.get("SVC_REDIS_URL"))
needs_real_redis = pytest.mark.skipif(
    not ON_REAL_REDIS, reason="needs SVC_REDIS_URL pointing at a Redis server (CI's second pass sets it)"
)


def inner_redis(index_offset: int = 0) -> redis.Redis:
    """A client on the database an inner run uses (tests/plugin/conftest.py sets SVC_REDIS_URL per test)."""
    url = os.environ["SVC_REDIS_URL"]
    base = int(re.search(r"/(\d+)$", url).group(1))  # type: ignore[union-attr]
    return redis.Redis.from_url(re.sub(r"/\d+$", f"/{base + index_offset}", url))


def test_each_test_starts_empty_and_lua_works(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_first(mock_redis):
            assert await mock_redis.dbsize() == 0
            await mock_redis.set("left-behind", "1")
            script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
            assert await mock_redis.eval(script, 1, "counter", 5) == 5

        async def test_second(mock_redis, client):
            assert await mock_redis.dbsize() == 0
            assert (await client.post("/hits")).json() == {"hits": 1}
            assert await mock_redis.get("hits") == b"1"
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_decode_responses_setting(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_str(mock_redis):
            await mock_redis.set("k", "v")
            assert await mock_redis.get("k") == "v"
        """
    )
    sample_project.runpytest("-o", "svc_redis_decode_responses=true").assert_outcomes(passed=1)


def test_unreachable_server_is_a_clear_error(sample_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SVC_REDIS_URL", "redis://127.0.0.1:1/0")
    lines = ("*cannot use Redis at redis://127.0.0.1:1/0*", "*unset it to use fakeredis*")
    run_setup_error(sample_project, "mock_redis", *lines)


@needs_real_redis
def test_non_empty_database_is_refused_and_left_alone(sample_project: pytest.Pytester) -> None:
    with inner_redis() as server:
        server.flushdb()
        server.set("someone-elses", "data")
        try:
            run_setup_error(
                sample_project, "mock_redis", "*holds 1 keys at session start*", "*--svc-redis-allow-flush*"
            )
            assert server.get("someone-elses") == b"data"

            sample_project.runpytest("--svc-redis-allow-flush").assert_outcomes(passed=1)
            assert server.dbsize() == 0
        finally:
            server.flushdb()


@needs_real_redis
def test_database_is_empty_after_the_run(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_writes(mock_redis):
            await mock_redis.set("k", "v")
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)
    with inner_redis() as server:
        assert server.dbsize() == 0


@needs_real_redis
def test_xdist_workers_get_their_own_database_index(sample_project: pytest.Pytester) -> None:
    base = int(re.search(r"/(\d+)$", os.environ["SVC_REDIS_URL"]).group(1))  # type: ignore[union-attr]
    sample_project.makepyfile(
        f"""
        import os
        import pytest

        @pytest.mark.asyncio
        @pytest.mark.parametrize("n", range(6))
        async def test_index(mock_redis, n):
            worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
            assert mock_redis.connection_pool.connection_kwargs["db"] == {base} + worker
            assert await mock_redis.dbsize() == 0
            await mock_redis.set(f"key{{n}}", n)
        """
    )
    sample_project.runpytest_subprocess("-n", "2", "-p", "xdist").assert_outcomes(passed=6)


REDIS_PLACE_INI = """
[pytest]
pythonpath = .
svc_app = service:{app}
svc_metadata = service:Base
svc_db_bind = service:SessionLocal
svc_redis_client = {place}
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

HITS = """
import pytest
import service

@pytest.mark.asyncio
async def test_the_app_counts_in_mock_redis(client, mock_redis):
    assert (await client.post("/hits")).json() == {"hits": 1}
    assert (await client.post("/hits")).json() == {"hits": 2}
    assert int(await mock_redis.get("hits")) == 2

@pytest.mark.asyncio
async def test_the_next_test_starts_empty(client, mock_redis):
    assert (await client.post("/hits")).json() == {"hits": 1}

def test_the_apps_own_client_is_back_after_the_test():
    assert service.redis.connection_pool.connection_kwargs["port"] == 1
"""


@pytest.mark.parametrize(
    ("app", "place"),
    [("module_maker_app", "service:redis"), ("state_maker_app", "app.state.redis")],
    ids=["module-attribute", "lifespan-client-on-state"],
)
def test_the_apps_redis_client_is_mock_redis_wherever_it_keeps_it(
    pytester: pytest.Pytester, app: str, place: str
) -> None:
    # The app's own client points at a server that does not exist: a request that reached it would fail.
    pytester.copy_example("rebinding/service.py")
    pytester.makeini(REDIS_PLACE_INI.format(app=app, place=place))
    pytester.makepyfile(HITS)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_a_getter_named_as_the_client_is_refused_with_the_fix(pytester: pytest.Pytester) -> None:
    pytester.copy_example("rebinding/service.py")
    pytester.makeini(REDIS_PLACE_INI.format(app="module_maker_app", place="service:module_redis"))
    run_setup_error(
        pytester, "mock_redis", "*svc_redis_client is 'service:module_redis', a function; name the attribute*"
    )


def test_the_apps_redis_client_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.copy_example("rebinding/service.py")
    pytester.makeini(REDIS_PLACE_INI.format(app="state_maker_app", place="app.state.redis"))
    pytester.makepyfile(HITS)
    pytester.runpytest_subprocess("-n", "2", timeout=240).assert_outcomes(passed=3)
