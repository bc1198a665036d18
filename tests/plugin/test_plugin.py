"""What ``pytest --fixtures`` and ``pytest --help`` tell a user about the plugin."""

from __future__ import annotations

import inspect
import re
from types import ModuleType

import pytest

from pytest_svc import app, app_logs, async_benchmark, metrics, settings_override, users
from pytest_svc.data import model_rows, samples
from pytest_svc.db import fixtures as db_fixtures
from pytest_svc.db import query_counter
from pytest_svc.redis import cache_helper, outage
from pytest_svc.redis import fixtures as redis_fixtures
from pytest_svc.server import live_server

PUBLIC_FIXTURES: dict[str, ModuleType] = {
    "db_engine": db_fixtures,
    "db_sessionmaker": db_fixtures,
    "db_session": db_fixtures,
    "db_connection": db_fixtures,
    "db_session_options": db_fixtures,
    "db_engine_options": db_fixtures,
    "db_sync_session": db_fixtures,
    "db_sync_sessionmaker": db_fixtures,
    "db_sync_connection": db_fixtures,
    "query_counter": query_counter,
    "assert_max_queries": query_counter,
    "mock_redis": redis_fixtures,
    "redis_down": outage,
    "cache_helper": cache_helper,
    "app": app,
    "client": app,
    "auth_client": app,
    "admin_client": app,
    "make_client": app,
    "settings_override": settings_override,
    "app_logs": app_logs,
    "metrics": metrics,
    "current_user": users,
    "admin_user": users,
    "make_user": users,
    "make_test_users": users,
    "mock_auth_token": users,
    "utc_now": samples,
    "sample_ids": samples,
    "primary_key_strategy": samples,
    "with_soft_delete": samples,
    "make_test_model": model_rows,
    "async_benchmark": async_benchmark,
    "live_server": live_server,
}

OPTIONS = [
    "--svc-app",
    "--svc-metadata",
    "--svc-db-dependency",
    "--svc-redis-dependency",
    "--svc-user-dependency",
    "--svc-settings",
    "--svc-db-url",
    "--svc-redis-url",
    "--svc-reuse-db",
    "--svc-db-echo",
    "--svc-redis-allow-flush",
    "--svc-redis-decode-responses",
]

_FIXTURE_LINE = re.compile(r"^(?P<name>\w+)(?: \[(?P<scope>\w+) scope\])? -- (?P<location>\S+)$")


def listed_fixtures(result: pytest.RunResult) -> dict[str, tuple[str | None, str, str]]:
    """``--fixtures`` output as {name: (scope, location, first line of the description)}."""
    lines = result.stdout.lines
    listed = {}
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        if match := _FIXTURE_LINE.match(line):
            listed[match["name"]] = (match["scope"], match["location"], following.strip())
    return listed


def test_fixtures_lists_every_public_fixture_with_its_summary(sample_project: pytest.Pytester) -> None:
    result = sample_project.runpytest("--fixtures")
    assert result.ret == pytest.ExitCode.OK
    listed = listed_fixtures(result)
    for name, module in PUBLIC_FIXTURES.items():
        doc = inspect.getdoc(getattr(module, name))
        assert doc, f"{name} has no docstring"
        assert name in listed, f"{name} is not listed by --fixtures"
        _scope, location, summary = listed[name]
        assert location.split(":")[0].endswith(module.__name__.replace(".", "/") + ".py")
        assert summary == doc.splitlines()[0]
    assert listed["db_engine"][0] == "session"
    # Overridden in a conftest.py to match the app's own: session-scoped, as the engine they shape.
    assert listed["db_session_options"][0] == listed["db_engine_options"][0] == "session"


def test_fixtures_are_listed_under_headings_that_name_their_concern(sample_project: pytest.Pytester) -> None:
    result = sample_project.runpytest("--fixtures")
    headings = {
        line.strip("- ").removeprefix("fixtures defined from ")
        for line in result.stdout.lines
        if "fixtures defined from pytest_svc" in line
    }
    # Every fixture's home is guessable from its name: one heading per concern, named by its module.
    assert headings == {module.__name__ for module in PUBLIC_FIXTURES.values()}


def test_private_fixtures_are_listed_only_with_verbose(sample_project: pytest.Pytester) -> None:
    hidden = listed_fixtures(sample_project.runpytest("--fixtures"))
    assert not [name for name in hidden if name.startswith("_svc_")]
    shown = listed_fixtures(sample_project.runpytest("--fixtures", "-v"))
    assert {"_svc_tokens", "_svc_app_instance", "_svc_database"} <= set(shown)


def test_help_shows_every_option_in_the_svc_group(sample_project: pytest.Pytester) -> None:
    result = sample_project.runpytest("--help")
    assert result.ret == pytest.ExitCode.OK
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if line.startswith("pytest-svc ("))
    end = next((i for i, line in enumerate(lines[start + 1 :], start + 1) if line and not line[0].isspace()), None)
    group = lines[start + 1 : end]
    for option in OPTIONS:
        env, ini = "SVC_" + option[6:].replace("-", "_").upper(), option[2:].replace("-", "_")
        entry = [i for i, line in enumerate(group) if re.match(rf"\s+{option}(=|\s|$)", line)]
        assert entry, f"{option} is not in the pytest-svc option group"
        # The help text names the other two spellings, wrapped over the following lines.
        text = " ".join(" ".join(group[entry[0] : entry[0] + 5]).split())
        assert f"[env {env}, ini {ini}]" in text
        result.stdout.fnmatch_lines([f"  {ini} (*"])


QUIET_APP = """
from fastapi import FastAPI
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


app = FastAPI()
"""

NOTHING_HEAVY = """
import sys

# What the plugin's fixtures need, and the app itself: none of it is paid by a run that uses no fixture.
HEAVY = {"sqlalchemy", "fastapi", "starlette", "pydantic", "httpx", "redis", "fakeredis", "asgi_lifespan", "quietapp"}


def test_nothing_heavy_was_imported():
    assert sorted({name.partition(".")[0] for name in sys.modules} & HEAVY) == []
"""


def test_a_run_without_svc_fixtures_imports_nothing_heavy_and_warns_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh process: this one has imported everything. -W error: with the editable install of the dev
    # environment, a fixture module imported before pytest marks it for rewriting would abort the run with
    # PytestAssertRewriteWarning. Both backends unset: a db_url given is parsed (with SQLAlchemy) at start.
    monkeypatch.delenv("SVC_DB_URL", raising=False)
    monkeypatch.delenv("SVC_REDIS_URL", raising=False)
    pytester.makepyfile(quietapp=QUIET_APP, test_quiet=NOTHING_HEAVY)
    pytester.makeini(
        "[pytest]\npythonpath = .\nsvc_app = quietapp:app\nsvc_metadata = quietapp:Base\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)
    assert "PytestAssertRewriteWarning" not in result.stdout.str() + result.stderr.str()
