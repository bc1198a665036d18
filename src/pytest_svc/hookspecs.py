"""pytest-svc's hooks: implement them in a conftest.py or a plugin to adapt the fixtures to your app.

Registered with ``pluginmanager.add_hookspecs`` so pytest validates implementations and their arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from pytest_svc.users import UserSpec


@pytest.hookspec(firstresult=True)
def pytest_svc_app(config: pytest.Config) -> Any | None:
    """Return the ASGI app to test, instead of importing ``svc_app``.

    Called once per session, the first time a test needs the ``app`` fixture. Return ``None`` to fall back to
    the ``svc_app`` setting. Stops at the first non-None result.
    """


@pytest.hookspec
def pytest_svc_dependency_overrides(
    app: Any, request: pytest.FixtureRequest
) -> Mapping[Callable[..., Any], Callable[..., Any]] | None:
    """Return extra ``app.dependency_overrides`` entries for one test.

    Called for every test that uses ``app``, after the plugin's own overrides (db, Redis, user) are chosen;
    entries returned here win. ``request.getfixturevalue("db_sessionmaker")`` and friends give the test's
    objects, e.g. for an app whose dependency yields a sessionmaker instead of a session::

        def pytest_svc_dependency_overrides(app, request):
            maker = request.getfixturevalue("db_sessionmaker")
            return {get_sessionmaker: lambda: maker}

    Every implementation is called; their mappings are merged in call order.
    """


@pytest.hookspec(firstresult=True)
def pytest_svc_make_user(config: pytest.Config, spec: UserSpec) -> Any | None:
    """Build the principal object for ``make_user`` (and ``current_user``, ``admin_user``).

    ``spec`` holds id, email, name, roles, permissions, tenant_id and extra keyword arguments. Return your
    app's own principal type so the overridden user dependency hands the app what it expects. The plugin's
    default returns a :class:`pytest_svc.SvcUser`. Stops at the first non-None result.
    """


@pytest.hookspec(firstresult=True)
def pytest_svc_auth_headers(config: pytest.Config, user: Any, token: str) -> Mapping[str, str] | None:
    """Return the HTTP headers that authenticate ``user`` (whose test token is ``token``).

    Used by ``auth_client``, ``admin_client`` and ``make_client``. The default is
    ``{"Authorization": f"Bearer {token}"}``. A header carrying the token in any other form works too: the
    overridden user dependency recognises the token in any header value. Stops at the first non-None result.
    """


@pytest.hookspec
def pytest_svc_before_schema(config: pytest.Config, connection: Connection) -> None:
    """Prepare a new test database before its schema is built: extensions, enum types, custom DDL.

    ``connection`` is a synchronous SQLAlchemy ``Connection`` inside the transaction that then builds the schema
    (``create_all`` or the migrations) and seeds it; it is committed with them. Called once per new test
    database, before named schemas are created; skipped, like seeding, when ``--svc-reuse-db`` reuses one.
    """


@pytest.hookspec
def pytest_svc_seed_db(config: pytest.Config, connection: Connection) -> None:
    """Insert data every test should see, right after the schema is built (once per test database).

    ``connection`` is a synchronous SQLAlchemy ``Connection`` inside a transaction that is committed after all
    implementations ran; ``Session(bind=connection)`` gives the ORM. Tests roll back to this state. With
    ``--svc-reuse-db`` and an existing database, seeding is skipped (the data is already there).
    """


@pytest.hookspec
def pytest_svc_live_server_env(
    config: pytest.Config, db_url: str | None, redis_url: str | None
) -> Mapping[str, str] | None:
    """Return environment variables for the ``live_server`` process (e.g. the app's own settings).

    ``db_url`` and ``redis_url`` are the server's own database and Redis (None when the app has no such
    dependency), for apps that read them from their settings as well::

        def pytest_svc_live_server_env(config, db_url, redis_url):
            return {"APP_REDIS__URL": redis_url, "APP_LOG_LEVEL": "debug"}

    Called once, before the server starts. Every implementation is called; their mappings are merged.
    """
