"""pytest-svc's entry point: options, ini keys, hooks, the header line, and the fixture modules.

Registered through the ``pytest11`` entry point, so installing the package is all a project needs. Cheap to load:
this module and the fixture modules import pytest and the plugin's own light modules only; SQLAlchemy, FastAPI,
httpx, Redis and the user's app are imported by the fixtures that need them, on first use.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pytest_svc import hookspecs
from pytest_svc.config import RUN_NOTES_KEY, RUN_NOTES_OUTPUT, SVC_CONFIG_KEY, SvcConfig, Worker
from pytest_svc.settings import SETTINGS, SettingError, resolve_settings

# The fixture modules (and the loop policy's hook), registered once here.
pytest_plugins = [
    "pytest_svc.loop_policy",
    "pytest_svc.db.fixtures",
    "pytest_svc.db.query_counter",
    "pytest_svc.redis.fixtures",
    "pytest_svc.redis.outage",
    "pytest_svc.redis.cache_helper",
    "pytest_svc.users",
    "pytest_svc.app",
    "pytest_svc.settings_override",
    "pytest_svc.app_logs",
    "pytest_svc.metrics",
    "pytest_svc.server.live_server",
    "pytest_svc.data.samples",
    "pytest_svc.data.model_rows",
    "pytest_svc.assertions.cache",
    "pytest_svc.async_benchmark",
]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("svc", "pytest-svc (FastAPI + async SQLAlchemy + Redis service testing)")
    for setting in SETTINGS:
        where = f"[env {setting.env}, ini {setting.ini}]"
        if setting.kind == "flag":
            group.addoption(
                setting.option, action="store_true", default=None, dest=setting.dest, help=f"{setting.help} {where}"
            )
            parser.addini(setting.ini, type="bool", default=False, help=setting.help)
        else:
            group.addoption(
                setting.option, default=None, dest=setting.dest, metavar=setting.example, help=f"{setting.help} {where}"
            )
            parser.addini(setting.ini, default="", help=f"{setting.help}, e.g. {setting.example}")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    try:
        config.stash[SVC_CONFIG_KEY] = SvcConfig.load(resolve_settings(config), Worker.of(config))
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    # A setting whose object is imported on first use (svc_app, svc_metadata, ...) fails the test that needed
    # it with its message alone, as it would have stopped the session before: no traceback into the plugin.
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(SettingError):
        report.longrepr = str(call.excinfo.value)
    return report


def pytest_report_header(config: pytest.Config) -> str | None:
    svc = config.stash.get(SVC_CONFIG_KEY, None)
    return svc.header() if svc is not None else None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    # pytest-xdist's controller: a worker's notes (a test database used under another name, ...) are printed here.
    notes = getattr(node, "workeroutput", {}).get(RUN_NOTES_OUTPUT, [])
    node.config.stash.setdefault(RUN_NOTES_KEY, []).extend(notes)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if getattr(config, "workerinput", None) is not None:
        return  # a worker's notes travel to the controller
    for note in config.stash.get(RUN_NOTES_KEY, []):
        terminalreporter.write_line(note, yellow=True)
