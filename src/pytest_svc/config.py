"""The session's resolved configuration: settings read and checked, backends and xdist worker chosen.

Decided here once, for every fixture: which xdist worker this process is (its number offsets the Redis index,
its id names the test database) and whether Redis is fake. Every setting is checked when the session starts,
so a typo stops the run at once; the objects the "module:attr" settings name (the app, the metadata, the
dependencies) are imported only when a fixture first asks for them, so a run that uses no pytest-svc fixture
never imports the app, and a module that fails to import fails the tests that need it, naming the setting.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

import pytest

from pytest_svc.db.target import DEFAULT_DB_DESCRIPTION, DatabaseTarget
from pytest_svc.places import Place
from pytest_svc.redis.target import RedisTarget
from pytest_svc.settings import (
    RawSettings,
    SettingError,
    a_or_an,
    check_object_spec,
    import_object,
    require_callable,
    setting_problem,
)

if TYPE_CHECKING:
    from sqlalchemy import MetaData

SVC_CONFIG_KEY = pytest.StashKey["SvcConfig"]()
# Lines a fixture leaves for the end of the run (plugin.py prints them); an xdist worker sends its own to the
# controller under this key of its workeroutput.
RUN_NOTES_KEY = pytest.StashKey[list[str]]()
RUN_NOTES_OUTPUT = "svc_run_notes"

_T = TypeVar("_T")

Lifespan = Literal["per-test", "off"]
LIFESPANS: tuple[Lifespan, ...] = ("per-test", "off")
DEFAULT_BASE_URL = "http://test"

NOT_METADATA = "is {spec!r}, {kind}; it must be a MetaData or a declarative base."
NOT_AN_APP = "is {spec!r}, {kind}, not an ASGI app or factory."
MISSING_SETTING = "is not set, and the {fixture} fixture needs it."
BIND_AND_DEPENDENCY = (
    "is set together with svc_db_bind. svc_db_bind rebinds the app's own sessions (its dependency then runs as "
    "written); svc_db_dependency replaces the dependency instead. Keep one: unset svc_db_dependency."
)
NOT_A_LIFESPAN = "is {raw!r}; it must be per-test (the default: the app's lifespan runs once per test) or off."
NOT_A_TIMEOUT = "is {raw!r}; it must be a number of seconds greater than 0."
DEFAULT_TEARDOWN_TIMEOUT = 10.0
NOT_A_BASE_URL = "is {raw!r}; it must be an http:// or https:// URL with a host (and an optional path prefix)."
NO_ALEMBIC_INI = "is {path!r}, which is not a file; name the project's alembic.ini (relative to the ini file)."

# The settings that name user objects by "module:attr": checked at start, imported on first use.
_LAZY_OBJECTS = ("app", "metadata", "db_dependency", "redis_dependency", "user_dependency", "settings")


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
    from sqlalchemy import MetaData  # here: SQLAlchemy is paid only by a run that uses the metadata

    if isinstance(value, MetaData):
        return value
    metadata = getattr(value, "metadata", None)
    if isinstance(metadata, MetaData):
        return metadata
    raise SettingError(setting_problem("metadata", NOT_METADATA.format(spec=spec, kind=a_or_an(type(value).__name__))))


def _as_app(spec: str, value: Any) -> Any:
    if not callable(value):
        raise SettingError(setting_problem("app", NOT_AN_APP.format(spec=spec, kind=a_or_an(type(value).__name__))))
    return value


def _lifespan(raw: str | None) -> Lifespan:
    for lifespan in LIFESPANS:
        if (raw or "per-test").strip().lower() == lifespan:
            return lifespan
    raise SettingError(setting_problem("lifespan", NOT_A_LIFESPAN.format(raw=raw)))


def _base_url(raw: str | None) -> str:
    if not raw:
        return DEFAULT_BASE_URL
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingError(setting_problem("base_url", NOT_A_BASE_URL.format(raw=raw)))
    return raw.strip()


def _seconds(name: str, raw: str | None, default: float) -> float:
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise SettingError(setting_problem(name, NOT_A_TIMEOUT.format(raw=raw)))
    return seconds


@dataclasses.dataclass(frozen=True)
class SvcConfig:
    """Everything the fixtures need to know, checked once when the session starts.

    ``app_target``, ``metadata`` and the ``*_dependency`` objects are imported on first use (each raises
    :class:`SettingError`, naming its setting, if it is wrong); ``database`` is parsed at start when
    ``db_url`` is set, and on first use for the default in-memory SQLite.
    """

    raw: RawSettings
    worker: Worker
    redis: RedisTarget
    lifespan: Lifespan = "per-test"
    base_url: str = DEFAULT_BASE_URL
    db_teardown_timeout: float = DEFAULT_TEARDOWN_TIMEOUT  # seconds (svc_db_teardown_timeout)
    db_bind: Place | None = None  # where the app makes its sessions from (svc_db_bind), resolved when needed
    redis_client: Place | None = None  # where the app keeps its Redis client (svc_redis_client)
    alembic_ini: Path | None = None  # migrations as the schema source (svc_alembic_ini)
    _imported: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def reuse_db(self) -> bool:
        return self.raw.flag("reuse_db")

    @property
    def db_echo(self) -> bool:
        """Whether the test engine logs its SQL (``--svc-db-echo``), over what ``db_engine_options`` says."""
        return self.raw.flag("db_echo")

    @property
    def has_schema_source(self) -> bool:
        """Whether the test database can be built: from ``svc_metadata`` or from ``svc_alembic_ini``'s migrations."""
        return self.alembic_ini is not None or self.metadata is not None

    @functools.cached_property
    def database(self) -> DatabaseTarget:
        """The database the run tests against (SQLAlchemy is imported to parse its URL)."""
        return DatabaseTarget.parse(self.raw.get("db_url"), self.worker.id)

    @property
    def app_target(self) -> Any | None:
        """What ``svc_app`` names (an app or a factory), or None when unset."""
        return self._object("app", _as_app)

    @property
    def metadata(self) -> MetaData | None:
        """The ``MetaData`` ``svc_metadata`` names (directly or as a declarative base), or None when unset."""
        return self._object("metadata", _as_metadata)

    @property
    def db_dependency(self) -> Callable[..., Any] | None:
        """The app's session dependency ``svc_db_dependency`` names, or None when unset."""
        return self._object("db_dependency", functools.partial(require_callable, "db_dependency"))

    @property
    def redis_dependency(self) -> Callable[..., Any] | None:
        """The app's Redis dependency ``svc_redis_dependency`` names, or None when unset."""
        return self._object("redis_dependency", functools.partial(require_callable, "redis_dependency"))

    @property
    def user_dependency(self) -> Callable[..., Any] | None:
        """The app's authentication dependency ``svc_user_dependency`` names, or None when unset."""
        return self._object("user_dependency", functools.partial(require_callable, "user_dependency"))

    @property
    def settings_target(self) -> Any | None:
        """What ``svc_settings`` names (the app's settings object or a function returning it), or None when unset."""
        return self._object("settings", lambda _spec, target: target)

    def _object(self, name: str, check: Callable[[str, Any], _T]) -> _T | None:
        # Imported once; a failure is kept too, so every test that needs the object fails with the same message
        # instead of running a broken module again.
        if name not in self._imported:
            spec = self.raw.get(name)
            try:
                self._imported[name] = check(spec, import_object(name, spec)) if spec else None
            except SettingError as exc:
                self._imported[name] = exc
        found = self._imported[name]
        if isinstance(found, SettingError):
            raise SettingError(str(found))
        return found  # type: ignore[no-any-return]

    @classmethod
    def load(cls, raw: RawSettings, worker: Worker) -> SvcConfig:
        """Check every given setting, importing nothing of the user's; raise :class:`SettingError` on a wrong one.

        A "module:attr" value is checked for its form, and for its top-level package being importable
        (found on ``sys.path``, not run); the rest of it is checked when it is imported, on first use.
        """
        for name in _LAZY_OBJECTS:
            if spec := raw.get(name):
                check_object_spec(name, spec)
        places = {name: Place.parse(name, spec) for name in ("db_bind", "redis_client") if (spec := raw.get(name))}
        if "db_bind" in places and raw.get("db_dependency"):
            raise SettingError(setting_problem("db_dependency", BIND_AND_DEPENDENCY, show_example=False))
        alembic_ini = raw.get("alembic_ini")
        if alembic_ini and not Path(alembic_ini).is_file():
            raise SettingError(setting_problem("alembic_ini", NO_ALEMBIC_INI.format(path=alembic_ini)))
        config = cls(
            raw=raw,
            worker=worker,
            redis=RedisTarget.parse(
                raw.get("redis_url"), worker.number, raw.flag("redis_decode_responses"), raw.flag("redis_allow_flush")
            ),
            lifespan=_lifespan(raw.get("lifespan")),
            base_url=_base_url(raw.get("base_url")),
            db_teardown_timeout=_seconds(
                "db_teardown_timeout", raw.get("db_teardown_timeout"), DEFAULT_TEARDOWN_TIMEOUT
            ),
            db_bind=places.get("db_bind"),
            redis_client=places.get("redis_client"),
            alembic_ini=Path(alembic_ini) if alembic_ini else None,
        )
        if raw.get("db_url"):
            config.database  # noqa: B018 - a server URL is checked now; the default needs no check
        return config

    def header(self) -> str:
        """The pytest header line naming the backends in use."""
        database = self.database.describe() if self.raw.get("db_url") else DEFAULT_DB_DESCRIPTION
        return f"svc: db={database} redis={self.redis.describe()}"


def svc_config(config: pytest.Config) -> SvcConfig:
    """The session's :class:`SvcConfig` (set when the session starts)."""
    return config.stash[SVC_CONFIG_KEY]


def missing_setting(name: str, fixture: str) -> str:
    """The failure message for a fixture that needs a setting nobody set."""
    return setting_problem(name, MISSING_SETTING.format(fixture=fixture))


def add_run_note(config: pytest.Config, note: str | None) -> None:
    """Keep ``note`` (when given) for the end of the run, where pytest-svc prints it; from a worker, too."""
    if note is None:
        return
    config.stash.setdefault(RUN_NOTES_KEY, []).append(note)
    workeroutput: dict[str, Any] | None = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its terminal is not shown, the controller prints it
        workeroutput.setdefault(RUN_NOTES_OUTPUT, []).append(note)
