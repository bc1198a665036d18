"""The app under test and HTTP clients for it."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager, LifespanNotSupported
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pytest_svc.async_fixtures import async_fixture
from pytest_svc.config import missing_setting, svc_config
from pytest_svc.users import TokenRegistry, auth_headers, user_dependency_override

BASE_URL = "http://test"


@dataclasses.dataclass(frozen=True)
class _RunningApp:
    app: Any
    asgi: Any  # the app as the lifespan manager exposes it (with lifespan state), for the transport


def is_app_factory(target: Any) -> bool:
    """Whether ``svc_app`` names a factory to call (a function callable without arguments) rather than an app."""
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        return False
    parameters = inspect.signature(target).parameters.values()
    return not any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


@pytest.fixture(scope="session")
def _svc_app_instance(pytestconfig: pytest.Config) -> Any:
    app = pytestconfig.hook.pytest_svc_app(config=pytestconfig)
    if app is None:
        target = svc_config(pytestconfig).app_target
        if target is None:
            pytest.fail(missing_setting("app", "app"), pytrace=False)
        app = target() if is_app_factory(target) else target
    if not callable(app):
        pytest.fail(f"pytest-svc: svc_app gave a {type(app).__name__}, not an ASGI app.", pytrace=False)
    return app


def db_session_override(maker: async_sessionmaker[AsyncSession]) -> Callable[[], AsyncIterator[AsyncSession]]:
    """The replacement for the app's ``svc_db_dependency``: one session from ``maker`` per request."""

    async def test_db_session() -> AsyncIterator[AsyncSession]:
        async with maker() as session:
            yield session

    return test_db_session


@pytest.fixture
def _svc_dependency_overrides(
    request: pytest.FixtureRequest, pytestconfig: pytest.Config, _svc_app_instance: Any, _svc_tokens: TokenRegistry
) -> dict[Callable[..., Any], Callable[..., Any]]:
    # A sync fixture on purpose: it pulls db and Redis fixtures only when the app has those dependencies, and
    # request.getfixturevalue() cannot start an async fixture from inside a running one.
    config = svc_config(pytestconfig)
    overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
    if config.db_dependency is not None:
        overrides[config.db_dependency] = db_session_override(request.getfixturevalue("db_sessionmaker"))
    if config.redis_dependency is not None:
        redis_client = request.getfixturevalue("mock_redis")
        overrides[config.redis_dependency] = lambda: redis_client
    if config.user_dependency is not None:
        overrides[config.user_dependency] = user_dependency_override(_svc_tokens)
    for extra in pytestconfig.hook.pytest_svc_dependency_overrides(app=_svc_app_instance, request=request):
        overrides.update(extra or {})
    if overrides and not hasattr(_svc_app_instance, "dependency_overrides"):
        pytest.fail(
            f"pytest-svc: the app is a {type(_svc_app_instance).__name__} without dependency_overrides; unset the "
            "svc_*_dependency settings or test a FastAPI app.",
            pytrace=False,
        )
    return overrides


@async_fixture
async def _svc_running_app(
    _svc_app_instance: Any, _svc_dependency_overrides: dict[Callable[..., Any], Callable[..., Any]]
) -> AsyncIterator[_RunningApp]:
    app = _svc_app_instance
    saved = dict(getattr(app, "dependency_overrides", {}))
    if _svc_dependency_overrides:
        app.dependency_overrides.update(_svc_dependency_overrides)
    try:
        async with contextlib.AsyncExitStack() as stack:
            try:
                manager = await stack.enter_async_context(LifespanManager(app))
                asgi = manager.app
            except LifespanNotSupported:
                asgi = app
            yield _RunningApp(app, asgi)
    finally:
        if _svc_dependency_overrides:
            app.dependency_overrides.clear()
            app.dependency_overrides.update(saved)


@pytest.fixture
def app(_svc_running_app: _RunningApp) -> Any:
    """The app from ``svc_app`` (or ``pytest_svc_app``), with this test's dependency overrides and lifespan.

    Its ``svc_db_dependency`` yields sessions in the test's transaction, ``svc_redis_dependency`` returns
    ``mock_redis`` and ``svc_user_dependency`` returns the user whose token the request carries (401 without
    one); ``pytest_svc_dependency_overrides`` adds more. The lifespan runs once per test, and the overrides are
    removed after it. A factory ("module:create_app") is called once per session.
    """
    return _svc_running_app.app


@async_fixture
async def make_client(
    pytestconfig: pytest.Config, _svc_running_app: _RunningApp, _svc_tokens: TokenRegistry
) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Make an ``httpx.AsyncClient`` for the app, optionally authenticated: ``make_client(user)``.

    ``raise_app_exceptions=False`` returns the app's 500 response instead of raising its exception in the test
    (to check what an error shows the caller). Other keyword arguments go to ``httpx.AsyncClient``
    (``headers=``, ``follow_redirects=``...). Clients talk to the app in-process through ``ASGITransport`` at
    ``http://test`` and are closed after the test.
    """
    clients: list[httpx.AsyncClient] = []

    def _make_client(user: Any = None, *, raise_app_exceptions: bool = True, **kwargs: Any) -> httpx.AsyncClient:
        headers = dict(kwargs.pop("headers", None) or {})
        if user is not None:
            headers = {**auth_headers(pytestconfig, _svc_tokens, user), **headers}
        transport = httpx.ASGITransport(app=_svc_running_app.asgi, raise_app_exceptions=raise_app_exceptions)
        client = httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers, **kwargs)
        clients.append(client)
        return client

    yield _make_client
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., httpx.AsyncClient]) -> httpx.AsyncClient:
    """An unauthenticated ``httpx.AsyncClient`` for ``app`` (``ASGITransport``, base URL ``http://test``)."""
    return make_client()


@pytest.fixture
def auth_client(make_client: Callable[..., httpx.AsyncClient], current_user: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``app`` that acts as ``current_user``."""
    return make_client(current_user)


@pytest.fixture
def admin_client(make_client: Callable[..., httpx.AsyncClient], admin_user: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``app`` that acts as ``admin_user``."""
    return make_client(admin_user)
