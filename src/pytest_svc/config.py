"""The session's resolved configuration: settings read, user objects imported, backends and xdist worker chosen.

Decided here once, for every fixture: which xdist worker this process is (its number offsets the Redis index,
its id names the test database) and whether Redis is fake.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData

from pytest_svc.db.target import DatabaseTarget
from pytest_svc.redis.target import RedisTarget
from pytest_svc.settings import (
    RawSettings,
    SettingError,
    a_or_an,
    import_object,
    require_callable,
    setting_problem,
)

SVC_CONFIG_KEY = pytest.StashKey["SvcConfig"]()


NOT_METADATA = "is {spec!r}, {kind}; it must be a MetaData or a declarative base."
NOT_AN_APP = "is {spec!r}, {kind}, not an ASGI app or factory."
MISSING_SETTING = "is not set, and the {fixture} fixture needs it."
NO_ALEMBIC_INI = "is {path!r}, which is not a file; name the project's alembic.ini (relative to the ini file)."


@dataclasses.dataclass(frozen=True)
class Worker:
    """This process's place in a pytest-xdist run: ``id`` ("gw0", ... or None outside xdist), ``number``, ``count``."""

    id: str | None
    number: int
    count: int

    @classmethod
    def of(cls, config: pytest.Config) -> Worker:
        workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
        if not workerinput:
            return cls(None, 0, 1)
        worker_id = str(workerinput["workerid"])
        match = re.fullmatch(r"gw(\d+)", worker_id)
        return cls(worker_id, int(match.group(1)) if match else 0, int(workerinput.get("workercount", 1)))


def _as_metadata(spec: str, value: Any) -> MetaData:
    if isinstance(value, MetaData):
        return value
    metadata = getattr(value, "metadata", None)
    if isinstance(metadata, MetaData):
        return metadata
    raise SettingError(setting_problem("metadata", NOT_METADATA.format(spec=spec, kind=a_or_an(type(value).__name__))))


@dataclasses.dataclass(frozen=True)
class SvcConfig:
    """Everything the fixtures need to know, checked once when the session starts."""

    raw: RawSettings
    worker: Worker
    database: DatabaseTarget
    redis: RedisTarget
    app_target: Any | None
    metadata: MetaData | None
    db_dependency: Callable[..., Any] | None
    redis_dependency: Callable[..., Any] | None
    user_dependency: Callable[..., Any] | None
    alembic_ini: Path | None = None

    @property
    def reuse_db(self) -> bool:
        return self.raw.flag("reuse_db")

    @classmethod
    def load(cls, raw: RawSettings, worker: Worker) -> SvcConfig:
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
                setting_problem("app", NOT_AN_APP.format(spec=app[0], kind=a_or_an(type(app[1]).__name__)))
            )
        metadata = imported("metadata")
        alembic_ini = raw.get("alembic_ini")
        if alembic_ini and not Path(alembic_ini).is_file():
            raise SettingError(setting_problem("alembic_ini", NO_ALEMBIC_INI.format(path=alembic_ini)))
        return cls(
            raw=raw,
            worker=worker,
            database=DatabaseTarget.parse(raw.get("db_url"), worker.id),
            redis=RedisTarget.parse(
                raw.get("redis_url"), worker.number, raw.flag("redis_decode_responses"), raw.flag("redis_allow_flush")
            ),
            app_target=app[1] if app else None,
            metadata=_as_metadata(*metadata) if metadata else None,
            db_dependency=dependency("db_dependency"),
            redis_dependency=dependency("redis_dependency"),
            user_dependency=dependency("user_dependency"),
            alembic_ini=Path(alembic_ini) if alembic_ini else None,
        )

    def header(self) -> str:
        """The pytest header line naming the backends in use."""
        return f"svc: db={self.database.describe()} redis={self.redis.describe()}"


def svc_config(config: pytest.Config) -> SvcConfig:
    """The session's :class:`SvcConfig` (set when the session starts)."""
    return config.stash[SVC_CONFIG_KEY]


def missing_setting(name: str, fixture: str) -> str:
    """The failure message for a fixture that needs a setting nobody set."""
    return setting_problem(name, MISSING_SETTING.format(fixture=fixture))
