"""The app as the ``live_server`` process serves it: ``svc_app`` with the plugin's dependency overrides.

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
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from pytest_svc.app_fixtures import db_session_override, is_app_factory
from pytest_svc.settings import import_object
from pytest_svc.signed_tokens import TokenSigner, token_words
from pytest_svc.users import user_dependency_override

SPEC_ENV = "SVC_LIVE_SERVER"


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
            raise RuntimeError(f"pytest-svc: {SPEC_ENV} is not set; create_live_app runs only under live_server.")
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
            raise HTTPException(
                401,
                detail=f"pytest-svc live_server: cannot rebuild the test user ({type(exc).__name__}: {exc}); its "
                "class must be importable by module name in the server process.",
                headers={"WWW-Authenticate": "Bearer"},
            ) from exc


def _engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=10, max_overflow=20)
    if engine.dialect.name == "sqlite":
        # pysqlite's own transaction handling, as a production app on SQLite has it (not the tests' explicit
        # BEGIN, under which concurrent requests that read, then write, fail with "database is locked" at once).
        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


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
    target = import_object("app", spec.app)
    app = target() if is_app_factory(target) else target
    overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
    close: list[Callable[[], Any]] = []
    if spec.db_dependency and spec.db_url:
        engine = _engine(spec.db_url)
        close.append(engine.dispose)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        overrides[import_object("db_dependency", spec.db_dependency)] = db_session_override(maker)
    if spec.redis_dependency and spec.redis_url:
        client = redis.asyncio.Redis.from_url(spec.redis_url, decode_responses=spec.redis_decode_responses)
        close.append(client.aclose)
        overrides[import_object("redis_dependency", spec.redis_dependency)] = lambda: client
    if spec.user_dependency:
        reader = SignedTokenReader(TokenSigner(spec.token_key))
        overrides[import_object("user_dependency", spec.user_dependency)] = user_dependency_override(reader)
    if overrides:
        if not hasattr(app, "dependency_overrides"):
            raise RuntimeError(
                f"pytest-svc: the app is a {type(app).__name__} without dependency_overrides; unset the "
                "svc_*_dependency settings or serve a FastAPI app."
            )
        app.dependency_overrides.update(overrides)
    _close_after_lifespan(app, close)
    return app
