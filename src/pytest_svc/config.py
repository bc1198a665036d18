"""The session's resolved configuration: settings read, user objects imported, backends chosen."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import MetaData

from pytest_svc.databases import DatabaseTarget
from pytest_svc.redis_server import RedisTarget
from pytest_svc.settings import (
    RawSettings,
    SettingError,
    a_or_an,
    import_object,
    require_callable,
    setting_problem,
)

SVC_CONFIG_KEY = pytest.StashKey["SvcConfig"]()


def worker_id(config: pytest.Config) -> str | None:
    """The pytest-xdist worker id ("gw0", ...) of this process, or None outside xdist."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else None


def worker_count(config: pytest.Config) -> int:
    """How many pytest-xdist workers the run has (1 outside xdist)."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    return int(workerinput.get("workercount", 1)) if workerinput else 1


def _as_metadata(spec: str, value: Any) -> MetaData:
    if isinstance(value, MetaData):
        return value
    metadata = getattr(value, "metadata", None)
    if isinstance(metadata, MetaData):
        return metadata
    raise SettingError(
        setting_problem(
            "metadata", f"is {spec!r}, {a_or_an(type(value).__name__)}; it must be a MetaData or a declarative base."
        )
    )


@dataclasses.dataclass(frozen=True)
class SvcConfig:
    """Everything the fixtures need to know, checked once when the session starts."""

    raw: RawSettings
    database: DatabaseTarget
    redis: RedisTarget
    app_target: Any | None
    metadata: MetaData | None
    db_dependency: Callable[..., Any] | None
    redis_dependency: Callable[..., Any] | None
    user_dependency: Callable[..., Any] | None

    @property
    def reuse_db(self) -> bool:
        return self.raw.flag("reuse_db")

    @classmethod
    def load(cls, raw: RawSettings, worker: str | None) -> SvcConfig:
        """Validate and import every given setting; raise :class:`SettingError` on the first wrong one."""

        def imported(name: str) -> tuple[str, Any] | None:
            spec = raw.get(name)
            return (spec, import_object(name, spec)) if spec else None

        def dependency(name: str) -> Callable[..., Any] | None:
            found = imported(name)
            return require_callable(name, *found) if found else None

        app = imported("app")
        if app is not None and not callable(app[1]):
            raise SettingError(
                setting_problem("app", f"is {app[0]!r}, {a_or_an(type(app[1]).__name__)}, not an ASGI app or factory.")
            )
        metadata = imported("metadata")
        return cls(
            raw=raw,
            database=DatabaseTarget.parse(raw.get("db_url"), worker),
            redis=RedisTarget.parse(
                raw.get("redis_url"), worker, raw.flag("redis_decode_responses"), raw.flag("redis_allow_flush")
            ),
            app_target=app[1] if app else None,
            metadata=_as_metadata(*metadata) if metadata else None,
            db_dependency=dependency("db_dependency"),
            redis_dependency=dependency("redis_dependency"),
            user_dependency=dependency("user_dependency"),
        )

    def header(self) -> str:
        """The pytest header line naming the backends in use."""
        return f"svc: db={self.database.describe()} redis={self.redis.describe()}"


def svc_config(config: pytest.Config) -> SvcConfig:
    """The session's :class:`SvcConfig` (set when the session starts)."""
    return config.stash[SVC_CONFIG_KEY]


def missing_setting(name: str, fixture: str) -> str:
    """The failure message for a fixture that needs a setting nobody set."""
    return setting_problem(name, f"is not set, and the {fixture} fixture needs it.")
