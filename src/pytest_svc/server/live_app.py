"""Runs in the child process: the app as ``live_server`` serves it, ``svc_app`` with the plugin's test wiring.

uvicorn calls :func:`create_live_app` (``--factory``) in the server process. The test process describes what to
build in the ``SVC_LIVE_SERVER`` environment variable: the same settings as the run, plus the server's own
database and Redis URLs and the session's token key.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio
from fastapi import HTTPException
from sqlalchemy.ext.asyncio import async_sessionmaker

from pytest_svc.db.engines import create_served_engine
from pytest_svc.settings import import_object
from pytest_svc.tokens import TokenSigner, token_words
from pytest_svc.wiring import dependency_overrides, install_overrides, resolve_app

SPEC_ENV = "SVC_LIVE_SERVER"
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


def _close_after_lifespan(app: Any, close: list[Callable[[], Any]]) -> None:
    router = getattr(app, "router", None)
    original = getattr(router, "lifespan_context", None)
    if original is None:
        return

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with original(asgi_app) as state:
            yield state
        for closer in close:
            await closer()

    router.lifespan_context = lifespan  # type: ignore[union-attr]


def create_live_app() -> Any:
    """Build the app for the server process from ``SVC_LIVE_SERVER`` (uvicorn ``--factory``)."""
    spec = LiveAppSpec.from_env(os.environ)
    app = resolve_app(import_object("app", spec.app))
    close: list[Callable[[], Any]] = []

    def sessionmaker() -> async_sessionmaker[Any]:
        assert spec.db_url is not None
        engine = create_served_engine(spec.db_url)
        close.append(engine.dispose)
        return async_sessionmaker(engine, expire_on_commit=False)

    def redis_client() -> redis.asyncio.Redis:
        assert spec.redis_url is not None
        client = redis.asyncio.Redis.from_url(spec.redis_url, decode_responses=spec.redis_decode_responses)
        close.append(client.aclose)
        return client

    overrides = dependency_overrides(
        db_dependency=import_object("db_dependency", spec.db_dependency)
        if spec.db_dependency and spec.db_url
        else None,
        sessionmaker=sessionmaker,
        redis_dependency=(
            import_object("redis_dependency", spec.redis_dependency)
            if spec.redis_dependency and spec.redis_url
            else None
        ),
        redis_client=redis_client,
        user_dependency=import_object("user_dependency", spec.user_dependency) if spec.user_dependency else None,
        users=SignedTokenReader(TokenSigner(spec.token_key)),
    )
    install_overrides(app, overrides)
    _close_after_lifespan(app, close)
    return app
