"""Settings: CLI > environment > ini, and every misconfiguration stops the run with a message that shows the fix."""

from __future__ import annotations

import re

import pytest

BASE_INI = """
[pytest]
pythonpath = .
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


WRONG_VALUES = """
number = 42
text = "not metadata"
"""


BROKEN_MODULE = """
import pathlib

pathlib.Path("broken-was-imported").touch()  # so a test can tell whether anything imported it
raise RuntimeError("broken on purpose")
"""

TINY_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping():
    return {"pong": True}
"""


EXAMPLES = {
    "svc_app": "myservice.main:app",
    "svc_metadata": "myservice.db:Base",
    "svc_db_dependency": "myservice.db:get_session",
    "svc_redis_dependency": "myservice.cache:get_redis",
    "svc_user_dependency": "myservice.auth:authenticate",
    "svc_settings": "myservice.settings:get_settings",
    "svc_db_url": "postgresql+asyncpg://postgres@127.0.0.1:5432/myservice",
    "svc_redis_url": "redis://127.0.0.1:6379/0",
    "svc_lifespan": "off",
    "svc_base_url": "http://test",
    "svc_db_teardown_timeout": "30",
    "svc_reuse_db": "true",  # flags are shown unquoted: a TOML boolean
}


def write_ini(pytester: pytest.Pytester, **settings: str) -> None:
    pytester.makeini(BASE_INI + "".join(f"{key} = {value}\n" for key, value in settings.items()))


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An inner project with no svc settings, modules holding wrong values, and one passing test."""
    # CI's second pass exports these; a test about configuration decides every source itself.
    monkeypatch.delenv("SVC_DB_URL", raising=False)
    monkeypatch.delenv("SVC_REDIS_URL", raising=False)
    pytester.makepyfile(
        wrong_values=WRONG_VALUES, broken=BROKEN_MODULE, tinyapp=TINY_APP, test_plain="def test_plain():\n    pass\n"
    )
    write_ini(pytester)
    return pytester


def configure(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, key: str, value: str, source: str
) -> list[str]:
    """Give setting ``key`` (ini spelling) the value from ``source``; return the CLI arguments to pass."""
    if source == "ini":
        write_ini(pytester, **{key: value})
        return []
    if source == "env":
        monkeypatch.setenv(key.upper(), value)
        return []
    return [f"--{key.replace('_', '-')}={value}"]


def assert_usage_error(result: pytest.RunResult, key: str, problem: str) -> None:
    """The run stopped before any test, with a few lines naming ``key``, the problem and an example."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    example = EXAMPLES[key] if key == "svc_reuse_db" else f'"{EXAMPLES[key]}"'
    result.stderr.fnmatch_lines([f"ERROR: pytest-svc: {key} {problem}", f"*e.g.  {key} = {example}"])
    result.stderr.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.no_fnmatch_line("*passed*")
    assert len([line for line in result.stderr.lines if line.strip()]) <= 4, result.stderr.str()


SESSION_START_ERRORS = [
    pytest.param("svc_app", "wrong_values.number", "ini", "is *; it must be *module:attribute*", id="app-no-colon"),
    pytest.param(
        "svc_metadata", "nopkg.models:Base", "cli", "*ModuleNotFoundError: No module named 'nopkg'", id="no-package"
    ),
    pytest.param("svc_settings", "settings.get", "env", "is *; it must be *module:attribute*", id="settings-no-colon"),
    pytest.param("svc_db_url", "not a url", "ini", "is 'not a url', which is not a database URL.", id="db-unparsable"),
    pytest.param(
        "svc_db_url",
        "mysql+aiomysql://root@127.0.0.1/shop",
        "env",
        "uses driver 'mysql+aiomysql'; pytest-svc supports sqlite+aiosqlite and postgresql+asyncpg.",
        id="db-unsupported-driver",
    ),
    pytest.param(
        "svc_db_url",
        "postgresql://postgres@127.0.0.1/shop",
        "cli",
        "uses driver 'postgresql';*Use postgresql+asyncpg://*",
        id="db-postgres-sync-driver",
    ),
    pytest.param(
        "svc_db_url", "sqlite:///x.db", "ini", "uses driver 'sqlite';*Use sqlite+aiosqlite://*", id="db-sqlite-sync"
    ),
    pytest.param(
        "svc_db_url",
        "postgresql+asyncpg://postgres@127.0.0.1:5432",
        "env",
        "*with no database name; the plugin creates test_<name> from it.",
        id="db-no-database-name",
    ),
    pytest.param(
        "svc_db_url",
        "postgresql+asyncpg://postgres@127.0.0.1:port/shop",
        "ini",
        "*port*",
        id="db-non-numeric-port",
    ),
    pytest.param(
        "svc_redis_url",
        "http://127.0.0.1:6379/0",
        "ini",
        "is 'http://127.0.0.1:6379/0'; it must start with redis://, rediss:// or unix://.",
        id="redis-wrong-scheme",
    ),
    pytest.param(
        "svc_redis_url",
        "redis://127.0.0.1:6379/cache",
        "env",
        "*; the path must be a database number like /0.",
        id="redis-db-not-a-number",
    ),
    pytest.param(
        "svc_redis_url",
        "redis://127.0.0.1:port/0",
        "ini",
        "*port*",
        id="redis-non-numeric-port",
    ),
    pytest.param(
        "svc_lifespan",
        "per-session",
        "ini",
        "is 'per-session'; it must be per-test (the default: the app's lifespan runs once per test) or off.",
        id="lifespan-unknown",
    ),
    *(
        pytest.param(
            "svc_base_url",
            url,
            "env",
            f"is {url!r}; it must be an http:// or https:// URL with a host (and an optional path prefix).",
            id=f"base-url-{problem}",
        )
        for problem, url in [
            ("no-scheme", "api.example.com"),
            ("ftp", "ftp://api.example.com"),
            ("no-host", "http:///v1"),
            ("port", "http://api.example.com:https/"),
            ("query", "http://test/?x=1"),
        ]
    ),
    *(
        pytest.param(
            "svc_db_teardown_timeout",
            raw,
            "ini",
            f"is {raw!r}; it must be a number of seconds greater than 0.",
            id=f"teardown-timeout-{problem}",
        )
        for problem, raw in [("words", "soon"), ("zero", "0"), ("negative", "-1"), ("nan", "nan")]
    ),
    pytest.param(
        "svc_reuse_db",
        "maybe",
        "env",
        "from SVC_REUSE_DB is 'maybe', which is not true or false.",
        id="flag-env-not-boolean",
    ),
    pytest.param(
        "svc_reuse_db",
        "maybe",
        "ini",
        "from ini is not true or false: invalid truth value 'maybe'.",
        id="flag-ini-not-boolean",
    ),
]


@pytest.mark.parametrize(("key", "value", "source", "problem"), SESSION_START_ERRORS)
def test_misconfiguration_stops_the_session_with_the_fix(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, key: str, value: str, source: str, problem: str
) -> None:
    args = configure(project, monkeypatch, key, value, source)
    assert_usage_error(project.runpytest(*args), key, problem)


# Settings whose objects are imported on first use: the run starts, a test that needs no pytest-svc fixture
# passes, and the test whose fixture imports the object fails with the message the session used to stop with.
FIRST_USE_ERRORS = [
    pytest.param(
        "svc_app",
        "broken:app",
        "client",
        "is 'broken:app', but importing 'broken' failed: RuntimeError: broken on purpose",
        id="app-module-raises",
    ),
    pytest.param("svc_app", "wrong_values:nope", "client", "*'wrong_values' has no attribute 'nope'.", id="app-attr"),
    pytest.param(
        "svc_app", "wrong_values:number", "client", "*a* int, not an ASGI app or factory.", id="app-not-callable"
    ),
    pytest.param(
        "svc_metadata",
        "wrong_values:text",
        "db_session",
        "*a* str; it must be a MetaData or a declarative base.",
        id="metadata-wrong-type",
    ),
    pytest.param(
        "svc_metadata",
        "broken:Base",
        "db_session",
        "is 'broken:Base', but importing 'broken' failed: RuntimeError: broken on purpose",
        id="metadata-module-raises",
    ),
    pytest.param(
        "svc_settings",
        "broken:get_settings",
        "settings_override",
        "is 'broken:get_settings', but importing 'broken' failed: RuntimeError: broken on purpose",
        id="settings-module-raises",
    ),
    pytest.param(
        "svc_settings",
        "wrong_values:number",
        "settings_override",
        "*an int; it must name the settings object (a pydantic model) or a function returning it.",
        id="settings-not-a-model",
    ),
    *(
        pytest.param(key, "wrong_values:number", "client", "*a* int, not a dependency callable.", id=key[4:])
        for key in ("svc_db_dependency", "svc_redis_dependency", "svc_user_dependency")
    ),
]


@pytest.mark.parametrize(("key", "value", "fixture", "problem"), FIRST_USE_ERRORS)
def test_a_wrong_object_fails_the_tests_that_need_it_not_the_session(
    project: pytest.Pytester, key: str, value: str, fixture: str, problem: str
) -> None:
    write_ini(project, **{"svc_app": "tinyapp:app", key: value})
    project.makepyfile(
        test_uses=f"""
        import pytest

        @pytest.mark.asyncio
        async def test_first({fixture}):
            pass

        @pytest.mark.asyncio
        async def test_second({fixture}):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=1, errors=2)
    example = EXAMPLES[key]
    result.stdout.fnmatch_lines([f"*pytest-svc: {key} {problem}", f'*e.g.  {key} = "{example}"*'] * 2)
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*pytest_svc/*")


def test_a_run_that_uses_no_fixture_never_imports_the_app_or_metadata(project: pytest.Pytester) -> None:
    write_ini(project, svc_app="broken:app", svc_metadata="broken:Base", svc_db_dependency="broken:get_session")
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    assert not (project.path / "broken-was-imported").exists()


def test_the_suggested_cli_spelling_of_a_flag_is_accepted(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SVC_REUSE_DB", "maybe")
    message = project.runpytest().stderr.str()
    suggested = re.search(r"--svc-reuse-db\S*", message)
    assert suggested is not None, message
    monkeypatch.delenv("SVC_REUSE_DB")
    result = project.runpytest(suggested.group(0).rstrip(",."))
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()


def test_fixture_needing_an_unset_setting_fails_the_test_not_the_session(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_app="""
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_first(client):
            pass

        async def test_second(client):
            pass
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=1, errors=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*pytest-svc: svc_app is not set, and the app fixture needs it.", '*e.g.  svc_app = "myservice.main:app"*']
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_default_header_names_in_memory_sqlite_and_fakeredis(project: pytest.Pytester) -> None:
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["svc: db=sqlite+aiosqlite (memory) redis=fakeredis"])


@pytest.mark.parametrize(
    ("sources", "shown"),
    [
        (("ini", "env", "cli"), "cli"),
        (("ini", "env"), "env"),
        (("ini", "cli"), "cli"),
        (("ini",), "ini"),
        (("env",), "env"),
    ],
)
def test_cli_beats_environment_beats_ini(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sources: tuple[str, ...], shown: str
) -> None:
    redis_index = {"ini": 1, "env": 2, "cli": 3}
    settings = {
        source: {
            "db_url": f"sqlite+aiosqlite:///{source}.db",
            "redis_url": f"redis://127.0.0.1:6379/{redis_index[source]}",
        }
        for source in sources
    }
    if "ini" in settings:
        write_ini(project, **{f"svc_{name}": value for name, value in settings["ini"].items()})
    for name, value in settings.get("env", {}).items():
        monkeypatch.setenv(f"SVC_{name.upper()}", value)
    args = [f"--svc-{name.replace('_', '-')}={value}" for name, value in settings.get("cli", {}).items()]
    result = project.runpytest(*args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"svc: db=sqlite+aiosqlite:///test_{shown}.db redis=redis://127.0.0.1:6379/{redis_index[shown]}"]
    )


@pytest.mark.parametrize(
    ("ini", "env", "cli", "kept"),
    [
        ("true", None, False, True),
        ("true", "0", False, False),
        ("false", "yes", False, True),
        (None, "no", True, True),
        (None, None, False, False),
    ],
)
def test_flag_precedence_decides_whether_the_database_is_kept(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str | None, env: str | None, cli: bool, kept: bool
) -> None:
    project.copy_example("sample_project")
    settings = {"svc_metadata": "sampleapp:Base", "svc_db_url": "sqlite+aiosqlite:///app.db"}
    write_ini(project, **settings, **({"svc_reuse_db": ini} if ini else {}))
    if env is not None:
        monkeypatch.setenv("SVC_REUSE_DB", env)
    project.makepyfile(
        test_db="""
        import pytest

        @pytest.mark.asyncio
        async def test_uses_db(db_session):
            pass
        """
    )
    result = project.runpytest(*(["--svc-reuse-db"] if cli else []))
    result.assert_outcomes(passed=2)
    assert (project.path / "test_app.db").exists() is kept


def test_metadata_without_tables_names_the_setting_and_the_fix(project: pytest.Pytester) -> None:
    # The models live in a module nothing imported: the base alone has no tables, and create_all would build none.
    project.makepyfile(
        appbase="from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n",
        appmodels=(
            "from sqlalchemy.orm import Mapped, mapped_column\nfrom appbase import Base\n\n\n"
            "class Item(Base):\n    __tablename__ = 'items'\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
        ),
        test_uses="""
        import pytest

        @pytest.mark.asyncio
        async def test_first(db_session):
            pass

        @pytest.mark.asyncio
        async def test_second(db_session):
            pass
        """,
    )
    write_ini(project, svc_metadata="appbase:Base")
    result = project.runpytest()
    result.assert_outcomes(passed=1, errors=2)  # test_plain needs no database
    result.stdout.fnmatch_lines(
        [
            "*pytest-svc: svc_metadata is 'appbase:Base', which has no tables when the test database is built: "
            "nothing imported the modules that define the models. Point svc_metadata at a module that imports "
            "every model*"
        ]
        * 2
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    write_ini(project, svc_metadata="appmodels:Base")  # the module that defines (or imports) every model
    project.runpytest().assert_outcomes(passed=3)
