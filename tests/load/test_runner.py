"""The load runner end to end (short runs, as subprocesses: Locust must never be imported into pytest)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url

from load.runner.cli import parse_duration
from load.runner.summary import Row, format_table, read_stats
from pytest_svc import LiveServer, MakeUser, MockAuthToken
from pytest_svc.load import Thresholds

ROOT = Path(__file__).resolve().parents[2]
STRICT = """
[total]
max_p95_ms = 0.001   # no real request is this fast: the run must miss it

[endpoints."GET /health/live"]
min_rps = 1000000
"""


# Tests judge requests, never speed (speed is measured by `make load`, not asserted): thresholds without timings.
FAILURES_ONLY = """
[total]
max_failure_ratio = 0

[endpoints."GET /documents/{id}"]
max_failure_ratio = 0

[endpoints."POST /echo (burst)"]
max_failure_ratio = 0
"""


def failures_only(tmp_path: Path) -> list[str]:
    path = tmp_path / "failures_only.toml"
    path.write_text(FAILURES_ONLY)
    return ["--thresholds", str(path)]


def backend_arguments(name: str, redis_index: int) -> list[str]:
    """Against the servers when CI exports them: a database and a Redis index of this test's own."""
    arguments = []
    if url := os.environ.get("SVC_DB_URL"):
        arguments += ["--db-url", make_url(url).set(database=f"svc_{name}").render_as_string(hide_password=False)]
    if url := os.environ.get("SVC_REDIS_URL"):
        arguments += ["--redis-url", re.sub(r"/\d+$", "", url) + f"/{redis_index}"]
    return arguments


def run_load(tmp_path: Path, name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "load.runner", "--reports-dir", str(tmp_path), "--name", name]
    command += ["--duration", "4s", "--users", "6", "--spawn-rate", "20", "--documents", "20", *arguments]
    env = {key: value for key, value in os.environ.items() if key not in ("DURATION", "USERS", "WORKERS")}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=150, env=env)


def aggregated_requests(stats_csv: Path) -> int:
    with stats_csv.open(newline="") as handle:
        return next(int(row["Request Count"]) for row in csv.DictReader(handle) if row["Name"] == "Aggregated")


def test_a_short_run_passes_and_writes_csv_html_and_summary(tmp_path: Path) -> None:
    result = run_load(tmp_path, "short", *failures_only(tmp_path), *backend_arguments("load_short", 12))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert (tmp_path / "short_stats.csv").exists(), output
    assert "<html" in (tmp_path / "short.html").read_text().lower()
    assert re.search(r"^endpoint +requests +failures +req/s +p50 ms +p95 ms +p99 ms$", result.stdout, re.M), output
    # Endpoints every short run reaches (start-up requests, the burst, the probe, the heaviest task); the rarer
    # tasks are left out, so the test does not depend on chance.
    for endpoint in (
        "GET /documents/cursor (discover)",
        "GET /documents/{id}",
        "POST /echo (burst)",
        "GET /health/live",
    ):
        assert re.search(rf"^{re.escape(endpoint)} +\d+ +0 ", result.stdout, re.M), f"{endpoint} missing:\n{output}"
    assert "load: passed" in result.stdout
    results = json.loads((tmp_path / "short_results.json").read_text())
    assert results["exit_code"] == 0
    assert len(results["thresholds"]) == 3, "the thresholds file was not applied"
    assert all(check["passed"] for check in results["thresholds"])


def test_a_distributed_run_adds_up_and_a_missed_threshold_fails_it(tmp_path: Path) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text(STRICT)
    arguments = ["--workers", "2", "--thresholds", str(strict), *backend_arguments("load_workers", 13)]
    result = run_load(tmp_path, "workers", *arguments)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "load: FAILED (Locust exit code 1: 2 threshold(s) missed)" in result.stdout, output
    assert "MISS  total p95 (limit 0.001)" in result.stdout
    results = json.loads((tmp_path / "workers_results.json").read_text())
    assert [check["passed"] for check in results["thresholds"]] == [False, False]
    totals = results["worker_totals"]
    assert len(totals["workers"]) == 2, totals
    assert all(count > 0 for count in totals["workers"].values()), totals
    assert totals["equal"] is True
    assert (
        sum(totals["workers"].values()) == totals["master_total"] == aggregated_requests(tmp_path / "workers_stats.csv")
    )
    assert "Worker totals: pass, 2 workers, sum equals the master's total" in result.stdout


def test_a_run_against_a_live_server_with_the_sessions_tokens(
    tmp_path: Path, live_server: LiveServer, make_user: MakeUser, mock_auth_token: MockAuthToken
) -> None:
    # HOST mode: the runner starts and seeds nothing; the Locust users authenticate with the test's own tokens,
    # which the live server's overridden user dependency accepts. One token per reader keeps each under the
    # app's global limit (100 a minute per caller).
    tenant = f"load-{uuid.uuid4().hex[:8]}"
    readers = [make_user(tenant_id=tenant) for _ in range(3)]
    admin = make_user(roles=("admin",), permissions=("*",), tenant_id=tenant)
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(f"{mock_auth_token(user)}\n" for user in readers) + f"{mock_auth_token(admin)} admin\n")
    result = run_load(
        tmp_path, "live", "--host", live_server.url, "--tokens-file", str(tokens), *failures_only(tmp_path)
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"load: against {live_server.url} (not started or seeded by the runner)" in result.stdout
    assert re.search(r"^GET /documents/\{id\} +\d+ +0 ", result.stdout, re.M), output
    assert re.search(r"^POST /echo \(burst\) +\d+ +0 ", result.stdout, re.M), output


def test_a_bad_thresholds_file_fails_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[total]\nmax_p99_ms = 3\n")
    result = run_load(tmp_path, "bad", "--thresholds", str(tmp_path / "bad.toml"))
    assert result.returncode == 2
    assert "unknown key(s) max_p99_ms" in result.stderr
    assert not list(tmp_path.glob("bad_*"))


def test_the_shipped_thresholds_file_is_valid() -> None:
    thresholds = Thresholds.from_toml(ROOT / "load" / "thresholds.toml")
    assert thresholds.total.max_failure_ratio is not None
    assert {"GET /documents/{id}", "GET /health/live", "POST /echo (burst)"} <= set(thresholds.endpoints)


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("2m", 120), ("1h30m", 5400), ("1m5s", 65)])
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_summary_table(tmp_path: Path) -> None:
    stats = tmp_path / "x_stats.csv"
    stats.write_text(
        "Type,Name,Request Count,Failure Count,Requests/s,50%,95%,99%\n"
        "GET,/health/live,120,0,2.0,2,6,9\n"
        "POST,/echo (burst),12,1,0.2,23,40,41\n"
        ",Aggregated,132,1,2.2,3,30,40\n"
    )
    rows = read_stats(stats)
    assert rows[0] == Row("GET", "/health/live", 120, 0, 2.0, "2", "6", "9")
    assert format_table(rows).splitlines() == [
        "endpoint            requests  failures  req/s  p50 ms  p95 ms  p99 ms",
        "---------------------------------------------------------------------",
        "GET /health/live         120         0    2.0       2       6       9",
        "POST /echo (burst)        12         1    0.2      23      40      41",
        "---------------------------------------------------------------------",
        "Aggregated               132         1    2.2       3      30      40",
    ]
