"""The app under test, wired to the test's transaction, Redis and users, and the HTTP clients that call it."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager, LifespanNotSupported

from pytest_svc.config import SvcConfig, missing_setting, svc_config
from pytest_svc.db.rebinding import rebound, resolve_bind
from pytest_svc.db.sessions import TestTransaction
from pytest_svc.loop_policy import async_fixture
from pytest_svc.protocols import MakeClient
from pytest_svc.settings import SettingError
from pytest_svc.tokens import TokenRegistry
from pytest_svc.wiring import (
    Overrides,
    WiringError,
    check_app,
    dependency_overrides,
    install_overrides,
    resolve_app,
    restore_overrides,
)

BASE_URL = "http://test"


@dataclasses.dataclass(frozen=True)
class _RunningApp:
    app: Any
    asgi: Any  # the app as the lifespan manager exposes it (with lifespan state), for the transport


@pytest.fixture(scope="session")
def _svc_app_instance(pytestconfig: pytest.Config) -> Any:
    app = pytestconfig.hook.pytest_svc_app(config=pytestconfig)
    target = svc_config(pytestconfig).app_target
    if app is None and target is None:
        pytest.fail(missing_setting("app", "app"), pytrace=False)
    try:
        return check_app(app) if app is not None else resolve_app(target)
    except WiringError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def _svc_dependency_overrides(
    request: pytest.FixtureRequest, pytestconfig: pytest.Config, _svc_app_instance: Any, _svc_tokens: TokenRegistry
) -> Overrides:
    # A sync fixture on purpose: it pulls db and Redis fixtures only when the app has those dependencies, and
    # request.getfixturevalue() cannot start an async fixture from inside a running one.
    config = svc_config(pytestconfig)
    overrides = dependency_overrides(
        db_dependency=config.db_dependency,
        sessionmaker=lambda: request.getfixturevalue("db_sessionmaker"),
        redis_dependency=config.redis_dependency,
        redis_client=lambda: request.getfixturevalue("mock_redis"),
        user_dependency=config.user_dependency,
        users=_svc_tokens,
    )
    for extra in pytestconfig.hook.pytest_svc_dependency_overrides(app=_svc_app_instance, request=request):
        overrides.update(extra or {})
    return overrides


@dataclasses.dataclass(frozen=True)
class _AppResources:
    transaction: TestTransaction | None  # for an svc_db_bind place
    redis: Any | None  # for an svc_redis_client place


@pytest.fixture
def _svc_app_resources(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> _AppResources:
    # Sync for the same reason as _svc_dependency_overrides. Setting them up rebinds the module-level places.
    config = svc_config(pytestconfig)
    transaction = None
    if config.db_bind is not None:
        request.getfixturevalue("db_sessionmaker")  # names itself when svc_metadata is missing
        transaction = request.getfixturevalue("_svc_transaction")
    redis = request.getfixturevalue("mock_redis") if config.redis_client is not None else None
    return _AppResources(transaction, redis)


def _rebind_app_places(places: contextlib.ExitStack, app: Any, config: SvcConfig, resources: _AppResources) -> None:
    """Point the places on the app (``app.state.NAME``) at the test's resources, now that the lifespan made them."""
    try:
        if config.db_bind is not None and config.db_bind.on_app and resources.transaction is not None:
            places.enter_context(rebound(resolve_bind(config.db_bind, app), resources.transaction.connection))
        if config.redis_client is not None and config.redis_client.on_app:
            places.enter_context(config.redis_client.replaced(resources.redis, app))
    except SettingError as exc:
        pytest.fail(str(exc), pytrace=False)


@async_fixture
async def _svc_running_app(
    pytestconfig: pytest.Config,
    _svc_app_instance: Any,
    _svc_dependency_overrides: Overrides,
    _svc_app_resources: _AppResources,
) -> AsyncIterator[_RunningApp]:
    app = _svc_app_instance
    try:
        saved = install_overrides(app, _svc_dependency_overrides)
    except WiringError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        async with contextlib.AsyncExitStack() as stack:
            # Entered before the lifespan, so the places are restored only after its shutdown has run (what the
            # shutdown writes still goes to the test's transaction and Redis).
            places = stack.enter_context(contextlib.ExitStack())
            try:
                manager = await stack.enter_async_context(LifespanManager(app))
                asgi = manager.app
            except LifespanNotSupported:
                asgi = app
            _rebind_app_places(places, app, svc_config(pytestconfig), _svc_app_resources)
            yield _RunningApp(app, asgi)
    finally:
        if _svc_dependency_overrides:
            restore_overrides(app, saved)


@pytest.fixture
def app(_svc_running_app: _RunningApp) -> Any:
    """The app from ``svc_app`` (or ``pytest_svc_app``), with this test's dependency overrides and lifespan.

    What the app makes its sessions from (``svc_db_bind``) is rebound to the test's transaction, so its own
    session dependency runs as written, commit included; where it keeps its Redis client (``svc_redis_client``)
    holds ``mock_redis``. Or, replacing dependencies: ``svc_db_dependency`` yields sessions in the test's
    transaction (committed when the request succeeds), ``svc_redis_dependency`` returns ``mock_redis``.
    ``svc_user_dependency`` returns the user whose token the request carries (401 without one);
    ``pytest_svc_dependency_overrides`` adds more. The lifespan runs once per test, and the overrides are
    removed after it. A factory ("module:create_app") is called once per session.
    """
    return _svc_running_app.app


@async_fixture
async def make_client(
    pytestconfig: pytest.Config, _svc_running_app: _RunningApp, _svc_tokens: TokenRegistry
) -> AsyncIterator[MakeClient]:
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
            headers = {**_svc_tokens.auth_headers(pytestconfig, user), **headers}
        transport = httpx.ASGITransport(app=_svc_running_app.asgi, raise_app_exceptions=raise_app_exceptions)
        client = httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers, **kwargs)
        clients.append(client)
        return client

    yield _make_client
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: MakeClient) -> httpx.AsyncClient:
    """An unauthenticated ``httpx.AsyncClient`` for ``app`` (``ASGITransport``, base URL ``http://test``)."""
    return make_client()


@pytest.fixture
def auth_client(make_client: MakeClient, current_user: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``app`` that acts as ``current_user``."""
    return make_client(current_user)


@pytest.fixture
def admin_client(make_client: MakeClient, admin_user: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``app`` that acts as ``admin_user``."""
    return make_client(admin_user)
