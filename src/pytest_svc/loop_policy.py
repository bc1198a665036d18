"""The loop policy: a pytest-svc async fixture always runs on the same event loop as the test requesting it.

Whichever runner owns that loop:

- pytest-asyncio (strict or auto mode): the fixture takes the test's loop scope (its ``asyncio`` marker's
  ``loop_scope``, else ``asyncio_default_test_loop_scope``), so a test on the session loop gets its session,
  Redis client and app on the session loop too, whatever ``asyncio_default_fixture_loop_scope`` says.
- anyio's plugin (``@pytest.mark.anyio``): the fixture stays a plain coroutine and anyio runs it on the test's
  runner.  Only the asyncio backend is supported (SQLAlchemy's async layer, asyncpg and redis.asyncio need it).

pytest-asyncio decides a fixture's loop from attributes it reads off the fixture function at setup time, so
this hook, wrapping pytest-asyncio's, hands it a copy of the function marked with the test's loop scope.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, TypeVar, cast

import pytest

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - pytest-asyncio is a dependency, but anyio-only setups remove it
    pytest_asyncio = None  # type: ignore[assignment]

SYNC_TEST_MESSAGE = (
    "pytest-svc: {test} is not an async test, but the fixtures it uses need the event loop ({fixture}). "
    "Make the test `async def` and mark it @pytest.mark.asyncio (pytest-asyncio) or @pytest.mark.anyio."
)
TRIO_MESSAGE = (
    "pytest-svc: {test} runs on anyio's {backend!r} backend, but pytest-svc's fixtures need asyncio. "
    'Add to your conftest.py:\n\n    @pytest.fixture\n    def anyio_backend():\n        return "asyncio"\n'
)


# The public fixtures that stand on an async one: named in the error a synchronous test gets.
LOOP_BOUND_FIXTURES = (
    "db_session",
    "db_sessionmaker",
    "db_connection",
    "mock_redis",
    "app",
    "client",
    "auth_client",
    "admin_client",
    "make_client",
)


def _loop_bound_names(item: pytest.Item, fallback: str) -> str:
    names = [name for name in LOOP_BOUND_FIXTURES if name in getattr(item, "fixturenames", ())]
    return ", ".join(names) or fallback


def _is_svc_async_fixture(func: Callable[..., Any]) -> bool:
    return func.__module__.startswith("pytest_svc.") and (
        inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
    )


def _pytest_asyncio_loop_scope(item: pytest.Item) -> str | None:
    """The loop scope pytest-asyncio runs ``item`` in, or None when pytest-asyncio does not run it."""
    if pytest_asyncio is None or not pytest_asyncio.is_async_test(item):
        return None
    marker = item.get_closest_marker("asyncio")
    scope = (marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")) if marker else None
    return str(scope or item.config.getini("asyncio_default_test_loop_scope") or "function")


_F = TypeVar("_F", bound=Callable[..., Any])


def async_fixture(func: _F) -> _F:
    """Declare one of pytest-svc's async fixtures (function scope; the loop is chosen per test, see above)."""
    if pytest_asyncio is not None:
        return cast(_F, pytest_asyncio.fixture(func))
    return cast(_F, pytest.fixture(func))


def _copy(func: Callable[..., Any]) -> Callable[..., Any]:
    copy: Callable[..., Any]
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        async def asyncgen_copy(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            async for value in func(*args, **kwargs):
                yield value

        copy = asyncgen_copy
    else:

        @functools.wraps(func)
        async def coroutine_copy(*args: Any, **kwargs: Any) -> Any:
            return await func(*args, **kwargs)

        copy = coroutine_copy
    # functools.wraps copied pytest-asyncio's marks too; each caller sets the marks it needs.
    for mark in ("_force_asyncio_fixture", "_loop_scope"):
        copy.__dict__.pop(mark, None)
    return copy


@functools.cache
def _on_loop_scope(func: Callable[..., Any], loop_scope: str) -> Callable[..., Any]:
    """A copy of the fixture function that pytest-asyncio runs on ``loop_scope``'s loop."""
    copy = _copy(func)
    # pytest_asyncio.fixture marks the function it decorates; the marked function is what we need.
    pytest_asyncio.fixture(copy, loop_scope=loop_scope)  # type: ignore[call-overload]
    return copy


@functools.cache
def _for_anyio(func: Callable[..., Any]) -> Callable[..., Any]:
    """An unmarked copy: pytest-asyncio (strict) leaves it alone and anyio runs it on the test's runner."""
    return _copy(func)


def _failing(message: str) -> Callable[..., Any]:
    # Failing through the fixture function (not the hook) lets pytest cache the error like any fixture error.
    def fail(**_kwargs: Any) -> Any:
        pytest.fail(message, pytrace=False)

    return fail


def _runner_for(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Callable[..., Any]:
    """The fixture function to run in place of ``fixturedef.func`` for this test."""
    func = fixturedef.func
    item = request.node
    if not isinstance(item, pytest.Function):
        return _failing(SYNC_TEST_MESSAGE.format(fixture=_loop_bound_names(item, fixturedef.argname), test=item.nodeid))
    loop_scope = _pytest_asyncio_loop_scope(item)
    if loop_scope is not None:
        return _on_loop_scope(func, loop_scope)
    if "anyio_backend" in item.fixturenames:
        backend = request.getfixturevalue("anyio_backend")
        name = backend if isinstance(backend, str) else backend[0]
        if name != "asyncio":
            return _failing(TRIO_MESSAGE.format(test=item.nodeid, backend=name))
        return _for_anyio(func)
    return _failing(SYNC_TEST_MESSAGE.format(fixture=_loop_bound_names(item, fixturedef.argname), test=item.nodeid))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    func = fixturedef.func
    if not _is_svc_async_fixture(func):
        return (yield)
    # FixtureDef.func is Final to type checkers; swapping it for one setup is what pytest-asyncio and anyio do too.
    fixturedef.func = _runner_for(fixturedef, request)  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = func  # type: ignore[misc]
