"""``async_benchmark``: pytest-benchmark for coroutines, every round on one event loop the test owns.

pytest-benchmark times synchronous calls, so a coroutine needs a loop per call. ``asyncio.run()`` per round
would time a new loop each time (about 100 us) and close the loop that the objects under test (a Redis client,
an engine) belong to. The fixture instead owns one ``asyncio.Runner`` for the test: ``async_benchmark.run()``
sets up data on its loop, and each measured call is one ``loop.run_until_complete()`` of a task on that same
loop (a few microseconds; ``Runner.run()`` would add its SIGINT handler swap, about 20 us, to every round).
The runner is closed at teardown: remaining tasks cancelled, async generators and the executor shut down.

Benchmarks are synchronous tests, and pytest-svc's async fixtures (``mock_redis``, ``db_session``, ...) need
an async test, so loop-bound objects for a benchmark are made with ``async_benchmark.run()``.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib.util
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

_T = TypeVar("_T")

MISSING_MESSAGE = (
    "pytest-svc: async_benchmark needs pytest-benchmark, which is not installed. "
    "Install it with: pip install 'pytest-svc[bench]'"
)
DISABLED_MESSAGE = (
    "pytest-svc: async_benchmark needs the pytest-benchmark plugin, which is installed but not loaded "
    "(-p no:benchmark in the command line or addopts). Run this test with -p benchmark."
)
ASYNC_TEST_MESSAGE = (
    "pytest-svc: {test} is an async test; async_benchmark drives its own event loop, which cannot start inside "
    "a running one. Make the benchmark a plain `def` test and await through async_benchmark(...) / "
    "async_benchmark.run(...)."
)


class AsyncBenchmark:
    """pytest-benchmark's ``benchmark`` for coroutine functions, on one event loop for the whole test.

    ``async_benchmark(coro_fn, *args, **kwargs)`` times ``await coro_fn(*args, **kwargs)`` and returns its
    result; ``async_benchmark.pedantic(coro_fn, args=..., setup=..., rounds=...)`` is ``benchmark.pedantic`` with
    ``setup`` / ``teardown`` that may be coroutine functions; ``async_benchmark.run(coro)`` runs a coroutine on
    the same loop untimed (setup, cleanup). Context variables set in one call are seen by the next.
    """

    def __init__(self, benchmark: Any, runner: asyncio.Runner) -> None:
        self.benchmark = benchmark
        self._runner = runner
        self._context = contextvars.copy_context()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop every call runs on."""
        return self._runner.get_loop()

    def run(self, awaitable: Awaitable[_T]) -> _T:
        """Run ``awaitable`` on the benchmark's loop, untimed, and return its result."""
        return self._runner.run(_as_coroutine(awaitable), context=self._context)

    def _run_round(self, awaitable: Awaitable[_T]) -> _T:
        loop = self._runner.get_loop()
        return loop.run_until_complete(loop.create_task(_as_coroutine(awaitable), context=self._context))

    def _sync(self, coro_fn: Callable[..., Awaitable[_T]]) -> Callable[..., _T]:
        if not callable(coro_fn) or inspect.isawaitable(coro_fn):
            raise TypeError(
                f"async_benchmark takes a coroutine function and its arguments, got {coro_fn!r}: write "
                "async_benchmark(fetch, key), not async_benchmark(fetch(key)) (a coroutine can be awaited once)"
            )

        def call(*args: Any, **kwargs: Any) -> _T:
            return self._run_round(coro_fn(*args, **kwargs))

        return call

    def _maybe_async(self, func: Callable[..., Any] | None) -> Callable[..., Any] | None:
        if func is None:
            return None

        def call(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            return self.run(result) if inspect.isawaitable(result) else result

        return call

    def __call__(self, coro_fn: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        """Time ``await coro_fn(*args, **kwargs)`` over pytest-benchmark's rounds; returns its result."""
        return self.benchmark(self._sync(coro_fn), *args, **kwargs)  # type: ignore[no-any-return]

    def pedantic(
        self,
        coro_fn: Callable[..., Awaitable[_T]],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        setup: Callable[[], Any] | None = None,
        teardown: Callable[..., Any] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> _T:
        """``benchmark.pedantic`` for a coroutine function; ``setup`` and ``teardown`` may be async too."""
        return self.benchmark.pedantic(  # type: ignore[no-any-return]
            self._sync(coro_fn),
            args=args,
            kwargs=kwargs,
            setup=self._maybe_async(setup),
            teardown=self._maybe_async(teardown),
            rounds=rounds,
            warmup_rounds=warmup_rounds,
            iterations=iterations,
        )


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


def _as_coroutine(awaitable: Awaitable[_T]) -> Coroutine[Any, Any, _T]:
    return awaitable if inspect.iscoroutine(awaitable) else _awaited(awaitable)


@pytest.fixture
def async_benchmark(request: pytest.FixtureRequest) -> Iterator[AsyncBenchmark]:
    """pytest-benchmark for coroutines on one reused event loop: ``result = async_benchmark(fetch, key)``.

    Use it from a plain (synchronous) test. ``async_benchmark.pedantic(...)`` as ``benchmark.pedantic``;
    ``async_benchmark.run(coro)`` runs setup on the same loop, so clients made there stay usable in the timed
    calls; ``async_benchmark.loop`` is that loop, closed at teardown. Needs ``pip install 'pytest-svc[bench]'``.
    """
    if importlib.util.find_spec("pytest_benchmark") is None:
        pytest.fail(MISSING_MESSAGE, pytrace=False)
    if not request.config.pluginmanager.has_plugin("benchmark"):
        pytest.fail(DISABLED_MESSAGE, pytrace=False)
    function = getattr(request.node, "function", None)
    if function is not None and inspect.iscoroutinefunction(function):
        pytest.fail(ASYNC_TEST_MESSAGE.format(test=request.node.nodeid), pytrace=False)
    benchmark = request.getfixturevalue("benchmark")
    # With a loop_factory the Runner does not make its loop the thread's current loop, nor reset that to None
    # when it closes: the thread's loop state (which pytest-asyncio manages) is left as it was.
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        yield AsyncBenchmark(benchmark, runner)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytest-benchmark tells benchmarks from other tests (--benchmark-only, --benchmark-skip) by "benchmark" among
    # a test's fixture names. async_benchmark asks for it at setup, so it is named here, before that check runs.
    if not config.pluginmanager.has_plugin("benchmark"):
        return
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is not None and "async_benchmark" in names and "benchmark" not in names:
            names.append("benchmark")
