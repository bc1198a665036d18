"""The app's test wiring, built the same way in the test process and in the ``live_server`` process.

Resolves ``svc_app`` (an app, or a zero-argument factory to call), builds the dependency overrides that hand
the app the test's sessions, Redis client and users, installs them, and prepares and seeds a new database
through the ``pytest_svc_before_schema`` and ``pytest_svc_seed_db`` hooks. The ``app`` fixture and
:mod:`pytest_svc.server.live_app` both use it. A plain module: nothing here imports pytest, so it runs in the
server process as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request

from pytest_svc.places import is_factory
from pytest_svc.settings import SettingError, a_or_an, setting_problem

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from pytest_svc.db.lifecycle import SchemaSource
    from pytest_svc.tokens import UserLookup

Overrides = dict[Callable[..., Any], Callable[..., Any]]

NOT_AN_APP_MESSAGE = "pytest-svc: svc_app gave {kind}, not an ASGI app."
NO_OVERRIDES_MESSAGE = (
    "pytest-svc: the app is {kind} without dependency_overrides; unset the svc_*_dependency settings or test a "
    "FastAPI app."
)


class WiringError(Exception):
    """The app cannot be wired to the test's resources; the message names the setting and the fix."""


def check_app(app: Any) -> Any:
    """``app`` itself, once it is known to be callable (an ASGI app); else :class:`WiringError`."""
    if not callable(app):
        raise WiringError(NOT_AN_APP_MESSAGE.format(kind=a_or_an(type(app).__name__)))
    return app


def resolve_app(target: Any) -> Any:
    """The app ``svc_app`` names: the object itself, or what its factory returns (called once)."""
    return check_app(target() if is_factory(target) else target)


def db_session_override(maker: async_sessionmaker[AsyncSession]) -> Callable[[], AsyncIterator[AsyncSession]]:
    """The replacement for the app's ``svc_db_dependency``: one session from ``maker`` per request.

    As FastAPI's and SQLAlchemy's documented dependency does: commit when the request succeeds, roll back when
    it raises. In the test's transaction the commit releases a savepoint, so the next request sees the writes.
    """

    async def test_db_session() -> AsyncIterator[AsyncSession]:
        async with maker() as session:
            try:
                yield session
            except Exception:
                await session.rollback()
                raise
            else:
                await session.commit()

    return test_db_session


def user_dependency_override(users: UserLookup) -> Callable[..., Any]:
    """The replacement for the app's ``svc_user_dependency``: the test user whose token the request carries."""

    async def authenticate_test_user(request: Request) -> Any:
        user = users.user_for_headers(request.headers.values())
        if user is None:
            raise HTTPException(status_code=401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        return user

    return authenticate_test_user


def dependency_overrides(
    *,
    db_dependency: Callable[..., Any] | None = None,
    sessionmaker: Callable[[], async_sessionmaker[AsyncSession]] | None = None,
    redis_dependency: Callable[..., Any] | None = None,
    redis_client: Callable[[], Any] | None = None,
    user_dependency: Callable[..., Any] | None = None,
    users: UserLookup | None = None,
) -> Overrides:
    """The overrides for the dependencies the settings name; each resource is made (called) only when needed."""
    overrides: Overrides = {}
    if db_dependency is not None and sessionmaker is not None:
        overrides[db_dependency] = db_session_override(sessionmaker())
    if redis_dependency is not None and redis_client is not None:
        client = redis_client()
        overrides[redis_dependency] = lambda: client
    if user_dependency is not None and users is not None:
        overrides[user_dependency] = user_dependency_override(users)
    return overrides


def install_overrides(app: Any, overrides: Mapping[Callable[..., Any], Callable[..., Any]]) -> dict[Any, Any]:
    """Add ``overrides`` to ``app.dependency_overrides``; return what was there before, for :func:`restore`."""
    saved = dict(getattr(app, "dependency_overrides", {}))
    if overrides:
        if not hasattr(app, "dependency_overrides"):
            raise WiringError(NO_OVERRIDES_MESSAGE.format(kind=a_or_an(type(app).__name__)))
        app.dependency_overrides.update(overrides)
    return saved


def restore_overrides(app: Any, saved: Mapping[Any, Any]) -> None:
    """Put back the ``dependency_overrides`` :func:`install_overrides` saved."""
    if hasattr(app, "dependency_overrides"):
        app.dependency_overrides.clear()
        app.dependency_overrides.update(saved)


def connection_hook(config: pytest.Config, name: str) -> Callable[[Connection], None]:
    """A callback that runs every implementation of hook ``name`` (``pytest_svc_seed_db``, ...) on a connection."""
    hook = getattr(config.hook, name)

    def call(connection: Connection) -> None:
        hook(config=config, connection=connection)

    return call


EMPTY_METADATA = (
    "is {spec!r}, which has no tables when the test database is built: nothing imported the modules that define "
    "the models. Point svc_metadata at a module that imports every model, as Alembic's env.py does (e.g. "
    "'myservice.models:Base', a module importing each feature's models), or use svc_alembic_ini."
)


def schema_source_with_hooks(
    config: pytest.Config, metadata: MetaData | None, alembic_ini: Path | None
) -> SchemaSource:
    """What the test database is built from (``svc_metadata`` or ``svc_alembic_ini``), with the session's hooks."""
    from pytest_svc.db.lifecycle import SchemaSource

    migrations = None
    if alembic_ini is not None:
        from pytest_svc.db.migrations import Migrations  # Alembic is imported only by projects that use it

        migrations = Migrations(alembic_ini)
    elif metadata is not None and not metadata.tables:
        from pytest_svc.config import svc_config

        spec = svc_config(config).raw.get("metadata")
        raise SettingError(setting_problem("metadata", EMPTY_METADATA.format(spec=spec), show_example=False))
    before_schema = connection_hook(config, "pytest_svc_before_schema")
    return SchemaSource(metadata, migrations, before_schema, connection_hook(config, "pytest_svc_seed_db"))
