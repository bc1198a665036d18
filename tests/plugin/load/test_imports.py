"""The pytest11 plugin is loaded by every pytest run: it must never pull in Locust or gevent's monkey-patching."""

from __future__ import annotations

import json
import subprocess
import sys

# Imports the modules one after the other in a fresh interpreter; after each, which watched modules are loaded.
PROBE = """
import importlib, json, sys
watched = ("gevent", "locust", "geventhttpclient", "zmq")
loaded = {}
for module in sys.argv[1:]:
    importlib.import_module(module)
    loaded[module] = sorted(name for name in sys.modules if name.split(".")[0] in watched)
print(json.dumps(loaded))
"""
PLAIN = ["pytest_svc", "pytest_svc.plugin", "pytest_svc.load", "pytest_svc.load.thresholds", "pytest_svc.load.problems"]


def probe(*modules: str) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, timeout=60, check=True
    )
    loaded: dict[str, list[str]] = json.loads(result.stdout)
    return loaded


def test_importing_the_plugin_and_load_helpers_imports_no_locust_or_gevent() -> None:
    # After the plain modules, the Locust-facing users module: the probe must see what it watches for.
    loaded = probe(*PLAIN, "pytest_svc.load.users")
    assert {module: loaded[module] for module in PLAIN} == {module: [] for module in PLAIN}
    assert {"gevent", "locust"} <= set(loaded["pytest_svc.load.users"])


def test_without_locust_the_users_say_which_extra_to_install() -> None:
    code = "import sys; sys.modules['locust'] = None\nfrom pytest_svc.load import SvcFastHttpUser"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: pytest_svc.load's Locust users and hooks need Locust: pip install 'pytest-svc[load]'"
    )
