"""The loop policy: a pytest-svc async fixture always runs on the same event loop as the test requesting it.

Whichever runner runs the test's body:

- pytest-asyncio (strict or auto mode): the fixture takes the test's loop scope (its ``asyncio`` marker's
  ``loop_scope``, else ``asyncio_default_test_loop_scope``), so a test on the session loop gets its session,
  Redis client and app on the session loop too, whatever ``asyncio_default_fixture_loop_scope`` says.
- anyio's plugin (``@pytest.mark.anyio``): the fixture stays a plain coroutine and anyio runs it on the test's
  runner.  Only the asyncio backend is supported (SQLAlchemy's async layer, asyncpg and redis.asyncio need it).
- Both (``@pytest.mark.anyio`` under ``asyncio_mode = auto``, or both markers): pytest-asyncio runs the body, but
  anyio's fixture hook, which pytest calls before pytest-asyncio's, would take every coroutine fixture to anyio's
  own loop.  So the fixture is handed over as a plain generator that drives it on pytest-asyncio's runner for
  the test's loop scope, which neither plugin touches; so is the project's own async fixture that
  pytest-asyncio would run (on the runner pytest-asyncio would pick for it).

pytest-asyncio decides a fixture's loop from attributes it reads off the fixture function at setup time, so
this hook, wrapping pytest-asyncio's and anyio's, hands them a copy of the function made for the test's runner.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any, TypeVar, cast

import pytest
from _pytest.fixtures import SubRequest, resolve_fixture_function

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - pytest-asyncio is a dependency, but anyio-only setups remove it
    pytest_asyncio = None  # type: ignore[assignment]

SYNC_TEST_MESSAGE = (
    "pytest-svc: {test} is not an async test, but the fixtures it uses need the event loop ({fixture}). "
    "Make the test `async def` and mark it @pytest.mark.asyncio (pytest-asyncio) or @pytest.mark.anyio."
)
UNRUN_TEST_MESSAGE = (
    "pytest-svc: {test} is an async test that no plugin runs (asyncio_mode = strict and no marker), so the "
    "fixtures it uses have no event loop ({fixture}). Mark it @pytest.mark.asyncio or @pytest.mark.anyio, or set "
    "asyncio_mode = auto."
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


def _on_runner(func: Callable[..., Any], runner: Any) -> Callable[..., Iterator[Any]]:
    """A plain generator fixture driving ``func`` on pytest-asyncio's ``runner`` (an ``asyncio.Runner``).

    What pytest-asyncio does for a fixture it owns, done here because anyio's hook would take a coroutine fixture
    first: setup and teardown run in one copied context whose changes the test sees, undone at teardown.
    """

    @functools.wraps(func)
    def on_runner(**kwargs: Any) -> Iterator[Any]:
        __tracebackhide__ = True
        context = contextvars.copy_context()
        if inspect.isasyncgenfunction(func):
            steps = func(**kwargs)

            async def setup() -> Any:
                return await steps.__anext__()

            async def teardown() -> None:
                async for _ in steps:
                    raise ValueError(f"{func.__name__} yields more than once")

        else:

            async def setup() -> Any:
                return await func(**kwargs)

            async def teardown() -> None:
                pass

        value = runner.run(setup(), context=context)
        undo = _carry_over(context)
        yield value
        try:
            runner.run(teardown(), context=context)
        finally:
            undo()

    # functools.wraps copied pytest-asyncio's marks: without them neither plugin touches the generator.
    for mark in ("_force_asyncio_fixture", "_loop_scope"):
        on_runner.__dict__.pop(mark, None)
    return on_runner


def _carry_over(context: contextvars.Context) -> Callable[[], None]:
    """Set the context variables ``context`` changed in the current context too; return what undoes that."""
    tokens = []
    for var, value in context.items():
        try:
            if var.get() is value:
                continue
        except LookupError:
            pass
        tokens.append((var, var.set(value)))

    def undo() -> None:
        for var, token in reversed(tokens):
            var.reset(token)

    return undo


def _failing(message: str) -> Callable[..., Any]:
    # Failing through the fixture function (not the hook) lets pytest cache the error like any fixture error.
    def fail(**_kwargs: Any) -> Any:
        pytest.fail(message, pytrace=False)

    return fail


def _is_coroutine_test(item: pytest.Function) -> bool:
    test = getattr(item.obj, "hypothesis", None)
    return inspect.iscoroutinefunction(getattr(test, "inner_test", item.obj))


def _runner_for(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Callable[..., Any]:
    """The fixture function to run in place of ``fixturedef.func`` for this test."""
    func = fixturedef.func
    item = request.node
    names = _loop_bound_names(item, fixturedef.argname)
    if not isinstance(item, pytest.Function):
        return _failing(SYNC_TEST_MESSAGE.format(fixture=names, test=item.nodeid))
    loop_scope = _pytest_asyncio_loop_scope(item)
    # anyio's fixture hook takes every coroutine fixture of a test that uses anyio_backend; its test hook runs
    # only coroutine tests.
    on_anyio = "anyio_backend" in item.fixturenames
    if loop_scope is None and not (on_anyio and _is_coroutine_test(item)):
        message = UNRUN_TEST_MESSAGE if _is_coroutine_test(item) else SYNC_TEST_MESSAGE
        return _failing(message.format(fixture=names, test=item.nodeid))
    if on_anyio:
        backend = request.getfixturevalue("anyio_backend")
        name = backend if isinstance(backend, str) else backend[0]
        if name != "asyncio":
            return _failing(TRIO_MESSAGE.format(test=item.nodeid, backend=name))
    if loop_scope is not None and on_anyio:
        # Both plugins claim the test: pytest-asyncio runs its body on this runner's loop.
        return _on_runner(func, request.getfixturevalue(f"_{loop_scope}_scoped_runner"))
    if loop_scope is not None:
        return _on_loop_scope(func, loop_scope)
    return _for_anyio(func)


def _users_fixture_runner(fixturedef: pytest.FixtureDef[Any], request: SubRequest) -> Callable[..., Any] | None:
    """For a project's own async fixture in a test both plugins claim: run it where pytest-asyncio would.

    Its body runs on pytest-asyncio's loop, so a fixture anyio took to its own loop would hand the test objects of
    another loop. None: leave the fixture alone (not async, a test one plugin runs, or one pytest-asyncio would
    not take either: an unmarked fixture in strict mode).
    """
    func = fixturedef.func
    item = getattr(request, "_pyfuncitem", request.node)  # a wider fixture's request.node is its module or class
    if not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
        return None
    if _pytest_asyncio_loop_scope(item) is None or "anyio_backend" not in request.fixturenames:
        return None
    config = request.config
    auto = (config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")) == "auto"
    if not (auto or getattr(func, "_force_asyncio_fixture", False)):
        return None
    default = config.getini("asyncio_default_fixture_loop_scope")
    loop_scope = getattr(func, "_loop_scope", None) or (default != "fixture-scope" and default) or fixturedef.scope
    runner_name = f"_{loop_scope}_scoped_runner"
    runner = request.getfixturevalue(runner_name)
    # As pytest-asyncio does: the fixture's teardown runs before its loop closes, whichever scope is wider.
    request._get_active_fixturedef(runner_name).addfinalizer(functools.partial(fixturedef.finish, request=request))
    return _on_runner(resolve_fixture_function(fixturedef, request), runner)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: SubRequest) -> Generator[None, Any, Any]:
    func = fixturedef.func
    if _is_svc_async_fixture(func):
        runner = _runner_for(fixturedef, request)
    elif (users := _users_fixture_runner(fixturedef, request)) is not None:
        runner = users
    else:
        return (yield)
    # FixtureDef.func is Final to type checkers; swapping it for one setup is what pytest-asyncio and anyio do too.
    fixturedef.func = runner  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = func  # type: ignore[misc]
