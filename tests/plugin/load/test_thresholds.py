"""pytest_svc.load.thresholds: reading the TOML file, evaluating plain figures, and the report."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pytest_svc.load import EndpointStats, Limits, Thresholds, ThresholdsError, evaluate
from pytest_svc.load.thresholds import format_checks, stats_from_locust

FILE = """
[total]
max_failure_ratio = 0.01
max_p95_ms = 500
min_rps = 20

[endpoints."GET /documents/{id}"]
max_p95_ms = 100

[endpoints."GET /health/live"]
min_rps = 1.5
"""


def stats(name: str, requests: int, failures: int = 0, rps: float = 50.0, p95: float | None = 40.0) -> EndpointStats:
    return EndpointStats(name, requests, failures, rps, p95)


def test_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(FILE)
    assert Thresholds.from_toml(path) == Thresholds(
        Limits(max_failure_ratio=0.01, max_p95_ms=500, min_rps=20),
        {"GET /documents/{id}": Limits(max_p95_ms=100), "GET /health/live": Limits(min_rps=1.5)},
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[total]\nmax_p99_ms = 3\n",
            "t.toml [total]: unknown key(s) max_p99_ms; the keys are max_failure_ratio, max_p95_ms, min_rps",
        ),
        ("[total]\nmin_rps = -1\n", "t.toml [total]: min_rps = -1; it must be a number >= 0"),
        ("[total]\nmin_rps = true\n", "t.toml [total]: min_rps = True; it must be a number >= 0"),
        ('[total]\nmin_rps = "5"\n', "t.toml [total]: min_rps = '5'; it must be a number >= 0"),
        ("total = 3\n", "t.toml [total] must be a table of limits (max_failure_ratio, max_p95_ms, min_rps), not 3"),
        ("[totals]\nmin_rps = 1\n", 't.toml: unknown table(s) totals; use [total] and [endpoints."<METHOD> <name>"]'),
        (
            '[endpoints."/health/live"]\nmin_rps = 1\n',
            't.toml: [endpoints."/health/live"] must be named "<METHOD> <request name>", e.g. "GET /health/live"',
        ),
        ("[total\n", "is not valid TOML"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(ThresholdsError) as excinfo:
        Thresholds.from_toml(path)
    assert message in str(excinfo.value).replace(str(tmp_path) + "/", "")


def test_a_missing_file() -> None:
    with pytest.raises(ThresholdsError, match=r"cannot read the thresholds file /nonexistent/t\.toml: No such file"):
        Thresholds.from_toml("/nonexistent/t.toml")


def test_evaluate_passes_and_misses() -> None:
    thresholds = Thresholds.from_mapping(
        {
            "total": {"max_failure_ratio": 0.01, "max_p95_ms": 500, "min_rps": 20},
            "endpoints": {"GET /documents/{id}": {"max_p95_ms": 100}, "GET /health/live": {"min_rps": 5}},
        }
    )
    endpoints = {
        "GET /documents/{id}": stats("GET /documents/{id}", 100, p95=120.0),
        "GET /health/live": stats("GET /health/live", 10, rps=5.0),
    }
    checks = evaluate(thresholds, stats("total", 1000, failures=10, rps=19.9, p95=500.0), endpoints)
    assert [(c.scope, c.metric, c.actual, c.passed) for c in checks] == [
        ("total", "failure ratio", 0.01, True),  # limits are inclusive
        ("total", "p95", 500.0, True),
        ("total", "requests/s", 19.9, False),
        ("GET /documents/{id}", "p95", 120.0, False),
        ("GET /health/live", "requests/s", 5.0, True),
    ]


def test_an_endpoint_without_requests_misses_its_limits() -> None:
    thresholds = Thresholds(
        Limits(max_failure_ratio=0.5), {"GET /renamed": Limits(max_failure_ratio=1, max_p95_ms=1e9, min_rps=0)}
    )
    checks = evaluate(thresholds, stats("total", 0, p95=None), {})
    assert [(c.scope, c.actual, c.passed) for c in checks] == [
        ("total", None, False),
        ("GET /renamed", None, False),
        ("GET /renamed", None, False),
        ("GET /renamed", None, False),
    ]


def test_format_checks() -> None:
    thresholds = Thresholds(Limits(max_failure_ratio=0.01, max_p95_ms=200), {"GET /gone": Limits(min_rps=1)})
    report = format_checks(evaluate(thresholds, stats("total", 200, failures=1, p95=250.0), {}))
    assert report.splitlines() == [
        "Thresholds:",
        "  pass  total failure ratio <= 0.01: 0.0050",
        "  MISS  total p95 <= 200 ms: 250 ms",
        "  MISS  GET /gone requests/s >= 1: no requests",
        "Thresholds missed: 2 of 3",
    ]
    assert format_checks([]).splitlines() == ["Thresholds:", "  (none configured)", "Thresholds: all passed"]


def test_stats_from_locust_reads_entries_by_duck_typing() -> None:
    def entry(requests: int, failures: int, rps: float, p95: int) -> SimpleNamespace:
        return SimpleNamespace(
            num_requests=requests,
            num_failures=failures,
            total_rps=rps,
            get_response_time_percentile=lambda percent: p95 if percent == 0.95 else -1,
        )

    locust_stats = SimpleNamespace(
        entries={("/documents/{id}", "GET"): entry(90, 1, 9.0, 30), ("/never", "POST"): entry(0, 0, 0.0, 0)},
        total=entry(90, 1, 9.0, 30),
    )
    total, endpoints = stats_from_locust(locust_stats)
    assert total == EndpointStats("total", 90, 1, 9.0, 30.0)
    assert endpoints == {
        "GET /documents/{id}": EndpointStats("GET /documents/{id}", 90, 1, 9.0, 30.0),
        "POST /never": EndpointStats("POST /never", 0, 0, 0.0, None),
    }
