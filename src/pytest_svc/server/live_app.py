"""Runs in the child process: the app as ``live_server`` serves it, ``svc_app`` with the plugin's test wiring.

uvicorn calls :func:`create_live_app` (``--factory``) in the server process. The test process describes what to
build in the ``SVC_LIVE_SERVER`` environment variable: the same settings as the run, plus the server's own
database and Redis URLs and the session's token key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio
from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from pytest_svc.db.engines import create_served_engine
from pytest_svc.db.rebinding import rebound, resolve_bind
from pytest_svc.places import Place
from pytest_svc.settings import import_object
from pytest_svc.tokens import TokenSigner, token_words
from pytest_svc.wiring import dependency_overrides, install_overrides, resolve_app

SPEC_ENV = "SVC_LIVE_SERVER"
# The rebindings last as long as the server process: held here, never closed (a context manager collected as
# garbage would run its exit and undo them).
_for_the_process: list[contextlib.ExitStack] = []
NO_SPEC_MESSAGE = "pytest-svc: {env} is not set; create_live_app runs only under live_server."
CANNOT_REBUILD_USER_MESSAGE = (
    "pytest-svc live_server: cannot rebuild the test user ({error}); its class must be importable by module name "
    "in the server process."
)


@dataclasses.dataclass(frozen=True)
class LiveAppSpec:
    """What the server process builds: the app spec, the dependencies to override and what replaces them."""

    app: str
    token_key: str
    db_dependency: str | None = None
    db_url: str | None = None
    redis_dependency: str | None = None
    redis_url: str | None = None
    redis_decode_responses: bool = False
    user_dependency: str | None = None
    db_bind: str | None = None
    redis_client: str | None = None

    def to_env(self) -> dict[str, str]:
        return {SPEC_ENV: json.dumps(dataclasses.asdict(self))}

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LiveAppSpec:
        raw = environ.get(SPEC_ENV)
        if not raw:
            raise RuntimeError(NO_SPEC_MESSAGE.format(env=SPEC_ENV))
        return cls(**json.loads(raw))


class SignedTokenReader:
    """Finds the test user in a request's headers by reading the session's signed tokens."""

    def __init__(self, signer: TokenSigner) -> None:
        self._signer = signer
        self._seen: dict[str, Any] = {}

    def user_for_headers(self, values: Iterable[str]) -> Any | None:
        for word in token_words(values):
            if word not in self._seen:
                self._seen[word] = self._read(word)
            if self._seen[word] is not None:
                return self._seen[word]
        return None

    def _read(self, token: str) -> Any | None:
        try:
            return self._signer.read(token)
        except Exception as exc:  # unpickling imports the user's class; say why it failed instead of a 500
            detail = CANNOT_REBUILD_USER_MESSAGE.format(error=f"{type(exc).__name__}: {exc}")
            raise HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"}) from exc


def _around_lifespan(app: Any, after_startup: list[Callable[[], Any]], close: list[Callable[[], Any]]) -> None:
    # The app's own lifespan runs as written; the test wiring reaches what it made once it has started, and the
    # server's own resources close after it has shut down.
    router = getattr(app, "router", None)
    original = getattr(router, "lifespan_context", None)
    if original is None:
        for step in after_startup:
            step()
        return

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with original(asgi_app) as state:
            for step in after_startup:
                step()
            yield state
        for closer in close:
            await closer()

    router.lifespan_context = lifespan  # type: ignore[union-attr]


def create_live_app() -> Any:
    """Build the app for the server process from ``SVC_LIVE_SERVER`` (uvicorn ``--factory``)."""
    spec = LiveAppSpec.from_env(os.environ)
    app = resolve_app(import_object("app", spec.app))
    close: list[Callable[[], Any]] = []
    after_startup: list[Callable[[], Any]] = []
    rebindings = contextlib.ExitStack()
    _for_the_process.append(rebindings)

    @functools.cache
    def engine() -> AsyncEngine:
        assert spec.db_url is not None
        served = create_served_engine(spec.db_url)
        close.append(served.dispose)
        return served

    @functools.cache
    def redis_client() -> redis.asyncio.Redis:
        assert spec.redis_url is not None
        client = redis.asyncio.Redis.from_url(spec.redis_url, decode_responses=spec.redis_decode_responses)
        close.append(client.aclose)
        return client

    def dependency(name: str, target: str | None, backend: str | None = "") -> Callable[..., Any] | None:
        # A dependency is overridden only when the server has the resource that replaces it.
        return import_object(name, target) if target and backend is not None else None

    overrides = dependency_overrides(
        db_dependency=dependency("db_dependency", spec.db_dependency, spec.db_url),
        sessionmaker=lambda: async_sessionmaker(engine(), expire_on_commit=False),
        redis_dependency=dependency("redis_dependency", spec.redis_dependency, spec.redis_url),
        redis_client=redis_client,
        user_dependency=dependency("user_dependency", spec.user_dependency),
        users=SignedTokenReader(TokenSigner(spec.token_key)),
    )
    install_overrides(app, overrides)

    def when_ready(place: Place, step: Callable[[], Any]) -> None:
        # A place on the app exists once the lifespan has made it; a module attribute exists now.
        if place.on_app:
            after_startup.append(step)
        else:
            step()

    if spec.db_bind and spec.db_url:
        bind = Place("db_bind", spec.db_bind)
        when_ready(bind, lambda: rebindings.enter_context(rebound(resolve_bind(bind, app), engine())))
    if spec.redis_client and spec.redis_url:
        where = Place("redis_client", spec.redis_client)
        when_ready(where, lambda: rebindings.enter_context(where.replaced(redis_client(), app)))
    _around_lifespan(app, after_startup, close)
    return app
