"""The ``metrics`` fixture: samples now and over the test, and what an unknown name or label set is told.

Inner runs are subprocesses: prometheus-client's default registry is process-wide, and an inner run in this
process would register its counters in the outer run's registry.
"""

from __future__ import annotations

import pytest

TIMEOUT = 120

METRIC_TESTS = """
import pytest
from prometheus_client import CollectorRegistry, Counter

HITS = Counter("inner_hits", "Hits.", ["kind"])


def test_value_and_delta(metrics):
    HITS.labels("a").inc(2)
    assert metrics.value("inner_hits_total", kind="a") == 2
    assert metrics.delta("inner_hits_total", kind="a") == 2


def test_a_delta_counts_from_the_tests_start(metrics):
    assert metrics.value("inner_hits_total", kind="a") == 2  # the first test's
    assert metrics.delta("inner_hits_total", kind="a") == 0
    HITS.labels("a").inc()
    HITS.labels("b").inc()
    assert metrics.delta("inner_hits_total", kind="a") == 1
    assert metrics.delta("inner_hits_total", kind="b") == 1  # new since the test began: counted from 0


def test_another_registry(metrics):
    registry = CollectorRegistry()
    own = Counter("own", "Own.", registry=registry)
    own.inc(5)
    metrics.use(registry)
    own.inc()
    assert metrics.delta("own_total") == 1


def test_an_unknown_name(metrics):
    metrics.value("inner_hit_total", kind="a")


def test_an_unknown_label_set(metrics):
    metrics.delta("inner_hits_total", kind="zzz")
"""


def test_metrics_reads_samples_and_deltas_and_names_what_is_there(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_metrics_inner=METRIC_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", timeout=TIMEOUT)
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        ["*pytest-svc: metrics: no sample named 'inner_hit_total' in the registry. Did you mean 'inner_hits_total'*"]
    )
    result.stdout.fnmatch_lines(
        [
            "*pytest-svc: metrics: 'inner_hits_total' has no sample with labels {kind='zzz'}; its label sets are:",
            "*  {kind='a'}",
            "*  {kind='b'}",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
