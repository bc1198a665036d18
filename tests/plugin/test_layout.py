"""The plugin's layout holds its rules: public names stay, private names stay home, one fixture-setup hook.

These read the installed package's source, so a change that breaks a rule fails here, naming the file.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_svc
from pytest_svc import plugin

PACKAGE = Path(pytest_svc.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))

# What `from pytest_svc import ...` and `from pytest_svc.load import ...` offer users: names may be added,
# never taken away.
PUBLIC = [
    "AppLogs", "AssertMaxQueries", "AsyncBenchmark", "Builder", "CacheTestHelper", "FakeRedisServer", "LiveServer",
    "MakeClient", "MakeTestModel", "MakeTestUsers", "MakeUser", "Metrics", "MockAuthToken", "ModelFactory",
    "PrimaryKeyStrategy", "QueryCounter", "RateLimitHeaders", "RedisOutage", "SQLAlchemyFactory", "SampleIds",
    "ServerProcess", "ServerStartError", "SettingsOverride", "SvcUser", "UserSpec", "assert_audit_trail",
    "assert_cached", "assert_no_pii", "assert_not_deleted", "assert_paginated", "assert_primary_key_set",
    "assert_problem_detail", "assert_rate_limit_headers", "assert_rate_limited", "assert_request_id",
    "assert_security_headers", "assert_soft_deleted", "assert_timestamps_updated", "register", "uuid7",
]  # fmt: skip
PUBLIC_LOAD = [
    "PROBLEM_MEDIA_TYPE", "Check", "EndpointStats", "Limits", "SvcFastHttpUser", "SvcHttpUser", "Thresholds",
    "ThresholdsError", "Token", "TokenPool", "TokensError", "WorkerTotals", "check_problem", "evaluate",
    "expect_status", "install_thresholds", "install_worker_totals", "problem_violations",
]  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from pytest_svc... import name`` in ``path``, relative imports resolved."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pytest_svc"):
            found += [(node.module, alias.name) for alias in node.names]
    return found


def owner(module: str) -> str:
    """The sub-package (``pytest_svc.db``) or flat module that owns ``module``'s private names."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or (PACKAGE / parts[-1]).is_dir() else module


def defines_fixtures(file: str | None) -> bool:
    """Whether the module defines a fixture: a function decorated ``@pytest.fixture(...)`` or ``@async_fixture``."""

    def is_fixture_decorator(node: ast.expr) -> bool:
        target = node.func if isinstance(node, ast.Call) else node
        return (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
            isinstance(target, ast.Name) and target.id == "async_fixture"
        )

    tree = ast.parse(Path(file or "").read_text())
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(map(is_fixture_decorator, node.decorator_list))
        for node in ast.walk(tree)
    )


def test_every_public_name_still_imports() -> None:
    assert sorted(pytest_svc.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(pytest_svc, name) is not None
    # pytest_svc.load's Locust users import Locust, which patches the whole process with gevent: in a child.
    code = f"import json, pytest_svc.load as m; print(json.dumps(sorted(n for n in {PUBLIC_LOAD!r} if getattr(m, n))))"
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(probe.stdout) == sorted(PUBLIC_LOAD)


def test_no_private_name_is_imported_outside_the_package_that_owns_it() -> None:
    crossings = []
    for path in MODULES:
        importer = module_name(path)
        for module, name in imports(path):
            private = [part for part in [*module.split("."), name] if part.startswith("_") and part != "__future__"]
            if private and owner(module) != owner(importer):
                crossings.append(f"{path.relative_to(PACKAGE)}: from {module} import {name}")
    assert crossings == []


def test_the_loop_policy_is_the_only_fixture_setup_hook() -> None:
    hooks = [
        str(path.relative_to(PACKAGE))
        for path in MODULES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == "pytest_fixture_setup"
    ]
    assert hooks == ["loop_policy.py"]


def test_fixture_modules_are_plugins_not_libraries() -> None:
    # Other modules may take a fixture module's exported classes and constants (as pytest's own modules take
    # TempPathFactory from tmpdir), never its functions: shared logic lives in a plain module both import.
    fixture_modules = {
        name for name in plugin.pytest_plugins if defines_fixtures(importlib.import_module(name).__file__)
    }
    assert {"pytest_svc.db.fixtures", "pytest_svc.users", "pytest_svc.app"} <= fixture_modules
    used_as_library = [
        f"{path.relative_to(PACKAGE)}: from {module} import {name}"
        for path in MODULES
        if path != PACKAGE / "__init__.py"
        for module, name in imports(path)
        if module in fixture_modules and not (name[:1].isupper())
    ]
    assert used_as_library == []


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_module_over_400_lines_says_why_at_its_top(path: Path) -> None:
    lines = path.read_text().splitlines()
    if len(lines) > 400:
        assert any(line.startswith("# Over 400 lines:") for line in lines[:15]), f"{len(lines)} lines, no reason given"


def test_the_wiring_module_imports_without_pytest() -> None:
    # The live server's child process builds the app with it; pytest is not needed there.
    code = "import sys; sys.modules['pytest'] = None; import pytest_svc.wiring, pytest_svc.server.live_app"
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
