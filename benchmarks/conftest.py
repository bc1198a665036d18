"""Benchmarks: fresh inner pytest processes in pytester's folders; see test_fixture_overhead.py."""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path

import pytest

# pytester drops every module first imported during a test. C extensions do not survive being imported a second
# time (asyncpg, which the benchmarks' own PostgreSQL admin calls use, segfaults), so they are imported once here.
for _module in (
    "asyncpg",
    "asyncpg.pgproto.pgproto",
    "aiosqlite",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "sqlalchemy.pool",
):
    with contextlib.suppress(ImportError):
        importlib.import_module(_module)


def pytest_configure(config: pytest.Config) -> None:
    # pytest-benchmark opens --benchmark-json for writing without creating its folder (results/ is not in git).
    path = config.getoption("benchmark_json", default=None)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pyproject's addopts block pytest-benchmark so the default run stays lean; say how to run these instead of
    # failing on a missing ``benchmark`` fixture when someone collects the whole tree.
    if config.pluginmanager.hasplugin("benchmark"):
        return
    skip = pytest.mark.skip(reason="benchmarks need pytest-benchmark: add -p benchmark (see benchmarks/report.py)")
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(skip)
