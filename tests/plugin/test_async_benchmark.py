"""async_benchmark: pytest-benchmark for coroutines, all rounds on the one event loop the test owns.

The project's addopts disable pytest-benchmark (-p no:benchmark); the inner runs load it with -p benchmark.
"""

from __future__ import annotations

import pytest

FAST = ("-p", "benchmark", "--benchmark-max-time=0.01", "--benchmark-min-rounds=5", "--benchmark-warmup=off")


def test_every_round_runs_on_one_loop_that_is_closed_at_teardown(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import asyncio
        import contextvars

        request_id = contextvars.ContextVar("request_id", default=None)
        seen = {"loops": set(), "calls": 0, "contexts": set()}

        async def fetch(key, *, suffix=""):
            seen["loops"].add(id(asyncio.get_running_loop()))
            seen["contexts"].add(request_id.get())
            seen["calls"] += 1
            await asyncio.sleep(0)
            return key + suffix

        async def set_request_id():
            request_id.set("r-1")
            seen["setup_loop"] = id(asyncio.get_running_loop())

        def test_rounds(async_benchmark):
            async_benchmark.run(set_request_id())
            assert async_benchmark(fetch, "k", suffix="!") == "k!"
            assert seen["calls"] >= 5  # calibration and rounds
            assert seen["loops"] == {id(async_benchmark.loop)} == {seen["setup_loop"]}
            assert seen["contexts"] == {"r-1"}  # context variables carry from run() into the rounds
            assert async_benchmark.benchmark.stats.stats.rounds >= 5
            seen["loop"] = async_benchmark.loop

        def test_loop_closed_after_the_test():
            assert seen["loop"].is_closed()
        """
    )
    sample_project.runpytest(*FAST).assert_outcomes(passed=2)


def test_objects_bound_to_the_loop_and_pedantic_with_async_setup(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import asyncio
        import fakeredis

        async def make_client():
            client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
            await client.set("k", "v")
            return client

        def test_client_made_on_the_loop(async_benchmark):
            client = async_benchmark.run(make_client())
            try:
                assert async_benchmark(client.get, "k") == b"v"
            finally:
                async_benchmark.run(client.aclose())

        def test_pedantic(async_benchmark):
            client = async_benchmark.run(make_client())
            events = []

            async def setup():
                events.append("setup")
                await client.delete("counter")
                return (client, "counter"), {}

            async def teardown(client, key):
                events.append(("teardown", int(await client.get(key))))

            async def incr_twice(client, key):
                await client.incr(key)
                return await client.incr(key)

            result = async_benchmark.pedantic(incr_twice, setup=setup, teardown=teardown, rounds=3)
            assert result == 2
            assert events == ["setup", ("teardown", 2)] * 3
            assert async_benchmark.benchmark.stats.stats.rounds == 3
            async_benchmark.run(client.aclose())
        """
    )
    sample_project.runpytest(*FAST).assert_outcomes(passed=2)


def test_shares_a_module_with_pytest_asyncio_tests_on_the_session_loop(sample_project: pytest.Pytester) -> None:
    ini = sample_project.path.joinpath("pytest.ini")
    ini.write_text(ini.read_text() + "\nasyncio_default_test_loop_scope = session\n")
    sample_project.makepyfile(
        """
        import asyncio
        import pytest

        loops = []

        @pytest.mark.asyncio
        async def test_before(client):
            loops.append(asyncio.get_running_loop())
            assert (await client.post("/hits")).json() == {"hits": 1}

        def test_benchmark(async_benchmark):
            async def noop():
                return asyncio.get_running_loop()

            assert async_benchmark(noop) is not loops[0]

        @pytest.mark.asyncio
        async def test_after(client):
            assert asyncio.get_running_loop() is loops[0]
            assert (await client.post("/hits")).json() == {"hits": 1}
        """
    )
    sample_project.runpytest(*FAST).assert_outcomes(passed=3)


def test_benchmark_disabled_runs_once(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        calls = []

        async def work():
            calls.append(1)
            return 42

        def test_once(async_benchmark):
            assert async_benchmark(work) == 42
            assert calls == [1]
        """
    )
    sample_project.runpytest("-p", "benchmark", "--benchmark-disable").assert_outcomes(passed=1)


def test_misuse_gets_a_clear_error(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        async def work():
            return 1

        @pytest.mark.asyncio
        async def test_async(async_benchmark):
            pass

        def test_coroutine_object(async_benchmark):
            coro = work()
            try:
                with pytest.raises(TypeError, match=r"not async_benchmark\\(fetch\\(key\\)\\)"):
                    async_benchmark(coro)
            finally:
                coro.close()
            assert async_benchmark(work) == 1
        """
    )
    result = sample_project.runpytest(*FAST)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*test_async is an async test; async_benchmark drives its own event loop*Make the benchmark a plain `def`*"]
    )


def test_without_pytest_benchmark_the_message_names_the_extra(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        import sys

        sys.modules["pytest_benchmark"] = None  # as if not installed (pytester restores sys.modules)
        """
    )
    sample_project.makepyfile(
        """
        def test_bench(async_benchmark):
            pass
        """
    )
    result = sample_project.runpytest("-p", "no:benchmark")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*async_benchmark needs pytest-benchmark*pip install 'pytest-svc?bench?'"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_with_pytest_benchmark_blocked_the_message_says_to_load_it(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        def test_bench(async_benchmark):
            pass
        """
    )
    result = sample_project.runpytest("-p", "no:benchmark")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*installed but not loaded (-p no:benchmark*Run this test with -p benchmark*"])


def test_benchmark_only_and_skip_treat_it_as_a_benchmark(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        async def work():
            return 1

        def test_bench(async_benchmark):
            assert async_benchmark(work) == 1

        @pytest.mark.parametrize("n", [1, 2])
        def test_bench_parametrized(async_benchmark, n):
            assert async_benchmark(work) == 1

        def test_plain():
            pass
        """
    )
    result = sample_project.runpytest(*FAST, "--benchmark-only", "-v")
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(["*::test_plain SKIPPED*"])
    sample_project.runpytest(*FAST, "--benchmark-skip").assert_outcomes(passed=1, skipped=3)
