"""The plugin's settings: one table, three sources (CLI ``--svc-*`` > environment ``SVC_*`` > ini ``svc_*``).

Every setting is declared once in :data:`SETTINGS`; ``plugin.py`` turns the table into options and ini keys,
and :func:`resolve_settings` reads them back in precedence order.  Values that point at user code
("module:attr") are checked for their form when the session starts, so a typo fails the run at once with a
message that names the setting and shows an example; :func:`import_object` imports them when first needed.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pytest

SettingKind = Literal["object", "url", "path", "text", "flag"]


@dataclasses.dataclass(frozen=True)
class Setting:
    """One configuration key, in its three spellings."""

    name: str
    kind: SettingKind
    help: str
    example: str

    @property
    def ini(self) -> str:
        return f"svc_{self.name}"

    @property
    def option(self) -> str:
        return "--svc-" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return f"SVC_{self.name.upper()}"

    @property
    def dest(self) -> str:
        return f"svc_{self.name}"

    def spellings(self) -> str:
        return f"{self.option} / {self.env} / ini {self.ini}"


SETTINGS: tuple[Setting, ...] = (
    Setting("app", "object", "the FastAPI app, or a zero-argument factory returning one", "myservice.main:app"),
    Setting(
        "metadata",
        "object",
        "the SQLAlchemy MetaData or declarative base whose tables are created once per session",
        "myservice.db:Base",
    ),
    Setting(
        "db_dependency",
        "object",
        "the app's dependency that yields an AsyncSession; overridden with db_session",
        "myservice.db:get_session",
    ),
    Setting(
        "redis_dependency",
        "object",
        "the app's dependency that returns its Redis client; overridden with mock_redis",
        "myservice.cache:get_redis",
    ),
    Setting(
        "user_dependency",
        "object",
        "the app's dependency that authenticates the request; overridden to return the test's users",
        "myservice.auth:authenticate",
    ),
    Setting(
        "settings",
        "object",
        "the app's settings for settings_override: the pydantic settings object, or the function returning it "
        "(an lru_cached get_settings)",
        "myservice.settings:get_settings",
    ),
    Setting(
        "db_url",
        "url",
        "database URL; default in-memory SQLite. A server URL makes the plugin create and drop test_<name>",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/myservice",
    ),
    Setting(
        "redis_url",
        "url",
        "Redis URL; default fakeredis. A real server gets one database index per xdist worker",
        "redis://127.0.0.1:6379/0",
    ),
    Setting(
        "db_bind",
        "object",
        "what the app makes its sessions from: its async_sessionmaker or AsyncEngine, rebound to the test's "
        "transaction per test; or where its lifespan keeps one (app.state.NAME, app.NAME)",
        "myservice.db:async_session",
    ),
    Setting(
        "redis_client",
        "object",
        "where the app keeps its Redis client: a module attribute, or app.state.NAME / app.NAME; set to mock_redis "
        "per test",
        "app.state.redis",
    ),
    Setting(
        "alembic_ini",
        "path",
        "build the test database with `alembic upgrade head` from this alembic.ini instead of create_all",
        "alembic.ini",
    ),
    Setting("lifespan", "text", "run the app's lifespan per test (per-test, the default) or not at all (off)", "off"),
    Setting("base_url", "text", "the base URL (host and path prefix) of the app's test clients", "http://test"),
    Setting(
        "db_teardown_timeout",
        "text",
        "seconds a test's database teardown may take (cancelling the tasks the test left running, rolling back) "
        "before the connection is closed and the test fails; default 10",
        "30",
    ),
    Setting("reuse_db", "flag", "keep the test database at the end of the run and reuse it next time", "true"),
    Setting(
        "db_echo",
        "flag",
        "log every SQL statement the test engine sends (SQLAlchemy's echo); a failing test shows its statements",
        "true",
    ),
    Setting(
        "redis_allow_flush",
        "flag",
        "allow flushing a real Redis database that holds keys at session start",
        "true",
    ),
    Setting(
        "redis_decode_responses",
        "flag",
        "create the test Redis client with decode_responses=True (match your app's client)",
        "true",
    ),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# The problems a setting can have, each completed by setting_problem() with the setting's name and an example.
NOT_A_FLAG = "from {source} is {raw!r}, which is not true or false."
NOT_A_FLAG_IN_INI = "from ini is not true or false: {error}."
NOT_A_SPEC = 'is {spec!r}; it must be "module:attribute".'
IMPORT_FAILED = "is {spec!r}, but importing {module!r} failed: {error}"
NO_ATTRIBUTE = "is {spec!r}, but {module!r} has no attribute {attr!r}."
NOT_A_DEPENDENCY = "is {spec!r}, which is {kind}, not a dependency callable."
NOT_ON_PATH = (
    '\n  If {top!r} is your project\'s package, put it on sys.path: pythonpath = ["."] under '
    "[tool.pytest.ini_options], or install the project (pip install -e .)."
)


class SettingError(Exception):
    """A setting is missing or wrong; the message names it and shows the fix."""


def a_or_an(noun: str) -> str:
    """``"a str"``, ``"an int"``: for messages that name a type."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def setting_problem(name: str, problem: str, *, show_example: bool = True) -> str:
    """Say what is wrong with setting ``name`` and, unless the fix lies elsewhere, how to set it."""
    setting = SETTINGS_BY_NAME[name]
    message = f"pytest-svc: {setting.ini} {problem}"
    if not show_example:
        return message
    if setting.kind == "flag":
        return message + (
            f"\n  Set it in pyproject.toml under [tool.pytest.ini_options], e.g.  {setting.ini} = true\n"
            f"  (or pass {setting.option}, or set {setting.env}=1)."
        )
    return message + (
        f"\n  Set it in pyproject.toml under [tool.pytest.ini_options], e.g.  {setting.ini} = "
        f'"{setting.example}"\n'
        f"  (or {setting.option}={setting.example}, or {setting.env}={setting.example})."
    )


@dataclasses.dataclass(frozen=True)
class RawSettings:
    """The settings as strings/flags, after precedence is applied; nothing imported yet."""

    values: dict[str, str | None]
    flags: dict[str, bool]
    sources: dict[str, str]

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def flag(self, name: str) -> bool:
        return self.flags.get(name, False)


def _parse_flag(setting: Setting, raw: str, source: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingError(setting_problem(setting.name, NOT_A_FLAG.format(source=source, raw=raw)))


def resolve_settings(config: pytest.Config, environ: dict[str, str] | None = None) -> RawSettings:
    """Read every setting from CLI, then environment, then ini."""
    import pytest  # here, not at the top: the server process imports this module without pytest

    env = os.environ if environ is None else environ
    values: dict[str, str | None] = {}
    flags: dict[str, bool] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        cli_value = config.getoption(setting.dest, default=None)
        if setting.kind == "flag":
            if cli_value:
                flags[setting.name], sources[setting.name] = True, setting.option
            elif setting.env in env:
                flags[setting.name] = _parse_flag(setting, env[setting.env], setting.env)
                sources[setting.name] = setting.env
            else:
                try:
                    ini_value = config.getini(setting.ini)
                except (ValueError, pytest.UsageError) as exc:  # pytest's bare "invalid truth value 'x'"
                    raise SettingError(setting_problem(setting.name, NOT_A_FLAG_IN_INI.format(error=exc))) from None
                flags[setting.name] = bool(ini_value)
                sources[setting.name] = f"ini {setting.ini}"
            continue
        if cli_value:
            values[setting.name], sources[setting.name] = str(cli_value), setting.option
        elif env.get(setting.env):
            values[setting.name], sources[setting.name] = env[setting.env], setting.env
        else:
            ini_value = config.getini(setting.ini)
            values[setting.name] = str(ini_value) if ini_value else None
            sources[setting.name] = f"ini {setting.ini}"
        if setting.kind == "path" and values[setting.name]:
            # Relative to the ini file's directory (the rootdir without one), as pytest's own "paths" ini keys.
            base = config.inipath.parent if config.inipath else config.rootpath
            values[setting.name] = str(base / str(values[setting.name]))
    return RawSettings(values=values, flags=flags, sources=sources)


def _split_spec(name: str, spec: str) -> tuple[str, str]:
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise SettingError(setting_problem(name, NOT_A_SPEC.format(spec=spec)))
    return module_name, attr_path


def check_object_spec(name: str, spec: str) -> None:
    """Check ``"module:attr"`` for setting ``name`` without running any of its code, or raise :class:`SettingError`.

    The form is checked, and the top-level package is looked up on ``sys.path`` (``find_spec``, which runs
    nothing: a dotted module's parents would be imported to look further); the rest waits for the import.
    """
    module_name, _attr_path = _split_spec(name, spec)
    top = module_name.partition(".")[0]
    try:
        found = importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):  # ValueError: in sys.modules without a __spec__ (found, then)
        found = top in sys.modules
    if not found:
        error = f"ModuleNotFoundError: No module named {top!r}"
        problem = IMPORT_FAILED.format(spec=spec, module=module_name, error=error) + NOT_ON_PATH.format(top=top)
        raise SettingError(setting_problem(name, problem))


def import_object(name: str, spec: str) -> Any:
    """Import ``"module:attr"`` (dots allowed in attr) for setting ``name``, or raise :class:`SettingError`."""
    module_name, attr_path = _split_spec(name, spec)
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise SettingError(
            setting_problem(name, IMPORT_FAILED.format(spec=spec, module=module_name, error=error))
        ) from None
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            problem = NO_ATTRIBUTE.format(spec=spec, module=module_name, attr=attr_path)
            raise SettingError(setting_problem(name, problem)) from None
    return target


def require_callable(name: str, spec: str, value: Any) -> Callable[..., Any]:
    """Check that a dependency setting points at something FastAPI can call."""
    if not callable(value):
        kind = a_or_an(type(value).__name__)
        raise SettingError(setting_problem(name, NOT_A_DEPENDENCY.format(spec=spec, kind=kind)))
    return value  # type: ignore[no-any-return]
