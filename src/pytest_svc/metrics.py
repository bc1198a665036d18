"""``metrics``: read the app's Prometheus samples, and what a test changed: ``metrics.delta(name, **labels)``.

Reads a prometheus-client registry in this process (``prometheus_client.REGISTRY`` unless told otherwise), as
the in-process ``client`` sees the app; samples by their exposition name (``http_requests_total``,
``http_request_duration_seconds_count``). The first reading of the registry is taken when the fixture is set up,
so deltas count only the test's own work.
"""

from __future__ import annotations

import difflib
from typing import Any

import pytest

NO_PROMETHEUS_MESSAGE = "pytest-svc: the metrics fixture needs prometheus-client (pip install prometheus-client)."
UNKNOWN_METRIC_MESSAGE = "pytest-svc: metrics: no sample named {name!r} in the registry.{hint}"
UNKNOWN_LABELS_MESSAGE = (
    "pytest-svc: metrics: {name!r} has no sample with labels {labels}; its label sets are:\n  {known}"
)

SampleKey = tuple[str, frozenset[tuple[str, str]]]


class Metrics:
    """The samples of a Prometheus registry now, and at the start of the test."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry
        self._start = self._read()

    def use(self, registry: Any) -> None:
        """Read ``registry`` (a ``CollectorRegistry``) from now on; deltas count from this call."""
        self.registry = registry
        self._start = self._read()

    def _read(self) -> dict[SampleKey, float]:
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in self.registry.collect()
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        """The sample ``name`` with exactly these labels now (``metrics.value("http_requests_total", status="200",
        method="GET", route="/items/{id}")``); fails naming the samples and label sets there are."""
        __tracebackhide__ = True
        now = self._read()
        key = (name, frozenset((label, str(value)) for label, value in labels.items()))
        if key in now:
            return now[key]
        self._fail_unknown(name, key, now)
        raise AssertionError  # unreachable: _fail_unknown fails

    def delta(self, name: str, **labels: str) -> float:
        """How much the sample changed since the test began: ``metrics.delta("http_requests_total", route=...,
        status="200") == 1``. A sample that did not exist then counts from 0; labels may be a subset only if
        exactly one sample matches (then its labels need not all be given)."""
        __tracebackhide__ = True
        now = self._read()
        wanted = frozenset((label, str(value)) for label, value in labels.items())
        key = (name, wanted)
        if key not in now:
            matching = [candidate for candidate in now if candidate[0] == name and wanted <= candidate[1]]
            if len(matching) != 1:
                self._fail_unknown(name, key, now)
            key = matching[0]
        return now[key] - self._start.get(key, 0.0)

    def _fail_unknown(self, name: str, key: SampleKey, now: dict[SampleKey, float]) -> None:
        __tracebackhide__ = True
        label_sets = sorted({_labels(labels) for sample, labels in now if sample == name})
        if not label_sets:
            names = sorted({sample for sample, _ in now})
            close = difflib.get_close_matches(name, names, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            if not close and names:
                hint += f" There are {len(names)}, e.g. {', '.join(names[:5])}."
            pytest.fail(UNKNOWN_METRIC_MESSAGE.format(name=name, hint=hint), pytrace=False)
        pytest.fail(
            UNKNOWN_LABELS_MESSAGE.format(name=name, labels=_labels(key[1]), known="\n  ".join(label_sets)),
            pytrace=False,
        )


def _labels(labels: frozenset[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{label}={value!r}" for label, value in sorted(labels)) + "}"


@pytest.fixture
def metrics() -> Metrics:
    """The app's Prometheus samples (``prometheus_client.REGISTRY``): ``metrics.value(name, **labels)`` now and
    ``metrics.delta(name, **labels)`` over the test.

    Names are the exposition's (``http_requests_total``); an unknown name or label set fails listing what there
    is. ``metrics.use(registry)`` reads another ``CollectorRegistry``, for an app that keeps its own.
    """
    try:
        import prometheus_client
    except ImportError:
        pytest.fail(NO_PROMETHEUS_MESSAGE, pytrace=False)
    return Metrics(prometheus_client.REGISTRY)
