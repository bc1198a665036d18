"""The app's test wiring, as the app fixture and the live server's child both build it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from pytest_svc.tokens import TokenRegistry
from pytest_svc.wiring import (
    WiringError,
    dependency_overrides,
    install_overrides,
    is_factory,
    resolve_app,
    restore_overrides,
)


def get_db() -> None: ...


def get_redis() -> None: ...


def authenticate() -> None: ...


def make_app(debug: bool = False) -> FastAPI:
    return FastAPI(debug=debug)


def test_a_function_callable_without_arguments_is_a_factory() -> None:
    async def asgi(scope: Any, receive: Any, send: Any) -> None: ...

    assert is_factory(make_app)
    assert not is_factory(asgi)
    assert not is_factory(FastAPI())
    assert isinstance(resolve_app(make_app), FastAPI)


def test_a_factory_that_gives_no_app_is_named() -> None:
    with pytest.raises(WiringError, match="svc_app gave a dict, not an ASGI app"):
        resolve_app(lambda: {})


def test_only_the_named_dependencies_are_overridden_and_resources_made_only_for_them() -> None:
    made: list[str] = []

    def resource(name: str) -> Callable[[], Any]:
        return lambda: made.append(name) or name

    overrides = dependency_overrides(
        db_dependency=None,
        sessionmaker=resource("sessionmaker"),
        redis_dependency=get_redis,
        redis_client=resource("redis"),
        user_dependency=authenticate,
        users=TokenRegistry(),
    )
    assert set(overrides) == {get_redis, authenticate}
    assert made == ["redis"]  # no dependency asks for a session: no sessionmaker (no database) is made
    assert overrides[get_redis]() == "redis"


def test_overrides_are_installed_and_restored_as_they_were() -> None:
    app = FastAPI()
    app.dependency_overrides[get_db] = authenticate
    saved = install_overrides(app, {get_db: get_redis, get_redis: get_db})
    assert app.dependency_overrides == {get_db: get_redis, get_redis: get_db}
    restore_overrides(app, saved)
    assert app.dependency_overrides == {get_db: authenticate}


def test_an_app_without_dependency_overrides_is_refused_naming_the_settings() -> None:
    async def asgi(scope: Any, receive: Any, send: Any) -> None: ...

    assert install_overrides(asgi, {}) == {}
    with pytest.raises(WiringError, match=r"the app is a function without dependency_overrides; unset the svc_\*"):
        install_overrides(asgi, {get_db: get_redis})
