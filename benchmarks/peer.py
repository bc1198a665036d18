"""The peer beside pytest-svc in ``make bench``: pytest-sqla's ``sqla_async_session`` on the same inner project.

pytest-sqla runs in a venv of its own (``benchmarks/.venv-sqla``, built once by ``make bench`` from
``benchmarks/peer-requirements.txt``: the same pytest, pytest-asyncio, SQLAlchemy and drivers as ours), so each
of its inner runs is a subprocess of that venv's Python. pytest-svc's inner runs are subprocesses too, of this
venv's Python, started the same way (:func:`run_timed`): a small plugin, written into the inner project, records
every test's setup, call and teardown durations to a JSON file. Every figure, ours and the peer's, is over a
baseline that paid the same interpreter start-up, in a fresh process as a user's run is. (pytester's in-process
runs were not: they share the benchmark's process, its imports and its heap, and a PostgreSQL connect cost
about a third of what it costs a fresh process.)
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

PEER_VENV = Path(__file__).parent / ".venv-sqla"
PEER_PYTHON = PEER_VENV / "bin" / "python"
MISSING_VENV = (
    f"pytest-sqla's venv is missing ({PEER_VENV}): `make bench` builds it, or run "
    f"python3 -m venv {PEER_VENV} && {PEER_PYTHON} -m pip install -r benchmarks/peer-requirements.txt"
)
DURATIONS_FILE = "durations.json"

PEER_INI = """
[pytest]
pythonpath = .
sqla_url = {url}
sqla_async_url = {async_url}
sqla_metadata = benchmodel:Base
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = {loop_scope}
filterwarnings = error
"""

# The peer's own URLs for each backend: in-memory SQLite (its sync and async engines share it through SQLite's
# memdb VFS), and PostgreSQL through asyncpg for both (its schema step runs the async URL in a thread).
PEER_SQLITE_URLS = ("sqlite://", "sqlite+aiosqlite://")

PEER_TESTS = """
import pytest
from benchmodel import Item


@pytest.mark.asyncio
@pytest.mark.parametrize("i", range({n}))
async def test_insert(i, sqla_async_session):
    sqla_async_session.add(Item(name="item-" + str(i)))
    await sqla_async_session.flush()
"""

TIMING_PLUGIN = """
import json

DURATIONS = {"setup": [], "call": [], "teardown": []}
OUTCOMES = {}


def pytest_runtest_logreport(report):
    DURATIONS[report.when].append(report.duration)
    if report.failed or report.when == "call":
        OUTCOMES[report.nodeid] = report.outcome


def pytest_sessionfinish(session):
    with open(%r, "w") as out:
        json.dump({"durations": DURATIONS, "outcomes": OUTCOMES}, out)
"""


def write_timing_plugin(path: Path) -> None:
    """The timing plugin every inner run loads (``-p inner_timing``), pytest-svc's and the peer's alike."""
    path.joinpath("inner_timing.py").write_text(TIMING_PLUGIN % str(path / DURATIONS_FILE))


def write_peer_project(path: Path, url: str, async_url: str, loop_scope: str) -> None:
    """The peer's pytest.ini and the timing plugin, beside the benchmark's model and tests in ``path``."""
    path.joinpath("pytest.ini").write_text(PEER_INI.format(url=url, async_url=async_url, loop_scope=loop_scope))
    write_timing_plugin(path)


def run_timed(
    python: Path | str, path: Path, env: dict[str, str], args: tuple[str, ...] = ()
) -> dict[str, list[float]]:
    """One inner run of ``python -m pytest`` in ``path``; each phase's durations in test order.

    Fails unless every test passed. The plugin must be written first (:func:`write_timing_plugin`).
    """
    path.joinpath(DURATIONS_FILE).unlink(missing_ok=True)
    done = subprocess.run(
        [str(python), "-m", "pytest", "-p", "inner_timing", "-p", "no:cacheprovider", "-q", *args],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(path.joinpath(DURATIONS_FILE).read_text()) if path.joinpath(DURATIONS_FILE).exists() else {}
    failed = [nodeid for nodeid, outcome in report.get("outcomes", {}).items() if outcome != "passed"]
    if done.returncode != 0 or failed or not report:
        raise AssertionError(f"the inner run failed ({failed[:3]}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    durations: dict[str, list[float]] = report["durations"]
    return durations
