"""The app under test, wired to the test's transaction, Redis and users, and the HTTP clients that call it."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_svc.config import DEFAULT_BASE_URL, missing_setting, svc_config
from pytest_svc.loop_policy import async_fixture
from pytest_svc.settings import SettingError

# httpx, asgi_lifespan and the wiring (FastAPI) are imported by the fixtures that use them, on first use.
if TYPE_CHECKING:
    import httpx

    from pytest_svc.config import SvcConfig
    from pytest_svc.db.sessions import TestTransaction
    from pytest_svc.protocols import MakeClient
    from pytest_svc.tokens import TokenRegistry
    from pytest_svc.wiring import Overrides

BASE_URL = DEFAULT_BASE_URL  # the clients' base URL unless svc_base_url says otherwise
OWN_TRANSPORT_MESSAGE = (
    "pytest-svc: make_client() makes the transport to the app itself; pass raise_app_exceptions= to it, or "
    "build httpx.AsyncClient(transport=...) yourself for another transport."
)


@dataclasses.dataclass(frozen=True)
class _RunningApp:
    app: Any
    asgi: Any  # the app as the lifespan manager exposes it (with lifespan state), for the transport


@pytest.fixture(scope="session")
def _svc_app_instance(pytestconfig: pytest.Config) -> Any:
    from pytest_svc.wiring import WiringError, check_app, resolve_app

    app = pytestconfig.hook.pytest_svc_app(config=pytestconfig)
    if app is not None:
        target = None
    else:  # svc_app is imported here, by the first test that needs the app
        target = svc_config(pytestconfig).app_target
        if target is None:
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
    from pytest_svc.wiring import dependency_overrides

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
    from pytest_svc.db.rebinding import rebound, resolve_bind

    try:
        if config.db_bind is not None and config.db_bind.on_app and resources.transaction is not None:
            places.enter_context(rebound(resolve_bind(config.db_bind, app), resources.transaction.connection))
        if config.redis_client is not None and config.redis_client.on_app:
            places.enter_context(config.redis_client.replaced(resources.redis, app))
    except SettingError as exc:
        pytest.fail(str(exc), pytrace=False)


@async_fixture
async def _svc_running_app(
    request: pytest.FixtureRequest,
    _svc_app_instance: Any,
    _svc_dependency_overrides: Overrides,
    _svc_app_resources: _AppResources,
) -> AsyncIterator[_RunningApp]:
    from asgi_lifespan import LifespanManager, LifespanNotSupported

    from pytest_svc.wiring import WiringError, install_overrides, restore_overrides

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
            config = svc_config(request.config)
            asgi = app
            if config.lifespan == "per-test":
                with contextlib.suppress(LifespanNotSupported):
                    asgi = (await stack.enter_async_context(LifespanManager(app))).app
            _rebind_app_places(places, app, config, _svc_app_resources)
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
    ``pytest_svc_dependency_overrides`` adds more. The lifespan runs once per test (never with
    ``svc_lifespan = off``), and the overrides are removed after it. ``svc_app`` is imported when the first test
    asks for the app; a factory ("module:create_app") is called once per session.
    """
    return _svc_running_app.app


@async_fixture
async def make_client(
    pytestconfig: pytest.Config, _svc_running_app: _RunningApp, _svc_tokens: TokenRegistry
) -> AsyncIterator[MakeClient]:
    """Make an ``httpx.AsyncClient`` for the app, optionally authenticated: ``make_client(user)``.

    ``raise_app_exceptions=False`` returns the app's 500 response instead of raising its exception in the test
    (to check what an error shows the caller). Any other ``httpx.AsyncClient`` keyword goes to the client:
    ``base_url=`` (instead of ``svc_base_url``, default ``http://test``), ``headers=`` (merged over the user's
    ``Authorization``), ``cookies=``, ``follow_redirects=``... except ``transport=``: the client talks to the app
    in-process through ``ASGITransport``, which this fixture makes. Clients are closed after the test.
    """
    import httpx

    base_url = svc_config(pytestconfig).base_url
    clients: list[httpx.AsyncClient] = []

    def _make_client(user: Any = None, *, raise_app_exceptions: bool = True, **kwargs: Any) -> httpx.AsyncClient:
        if "transport" in kwargs:
            raise TypeError(OWN_TRANSPORT_MESSAGE)
        headers = dict(kwargs.pop("headers", None) or {})
        if user is not None:
            headers = {**_svc_tokens.auth_headers(pytestconfig, user), **headers}
        kwargs.setdefault("base_url", base_url)
        transport = httpx.ASGITransport(app=_svc_running_app.asgi, raise_app_exceptions=raise_app_exceptions)
        client = httpx.AsyncClient(transport=transport, headers=headers, **kwargs)
        clients.append(client)
        return client

    yield _make_client
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: MakeClient) -> httpx.AsyncClient:
    """An unauthenticated ``httpx.AsyncClient`` for ``app`` (``ASGITransport``, base URL ``svc_base_url``)."""
    return make_client()


@pytest.fixture
def auth_client(make_client: MakeClient, current_user: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``app`` that acts as ``current_user``."""
    return make_client(current_user)


@pytest.fixture
def admin_client(make_client: MakeClient, admin_user: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``app`` that acts as ``admin_user``."""
    return make_client(admin_user)
