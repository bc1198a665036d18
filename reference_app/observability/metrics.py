"""Prometheus metrics (prometheus-client): requests by method, route template and status; latency; requests in
flight; rate-limit decisions; the cache's counters; the database pool. ``GET /metrics`` serves them.

The request metrics are labelled with the route's template (``/documents/{document_id}``), never the raw path:
one series per route, not one per id. The cache's counters and the pool's gauges are read when scraped, from
the process's cache runtime and engine (when they exist). With several uvicorn workers, set
``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, before the workers start): ``/metrics`` then sums the workers'
request and rate-limit metrics (prometheus-client's multiprocess mode); the cache and pool figures, per process,
are left out there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Receive, Scope, Send

from reference_app.cache.dependency import cache_runtime_if_started
from reference_app.db.engine import engine_if_created
from reference_app.observability.status import AnsweredStatus
from reference_app.routing import RouteTemplates

REQUESTS = Counter("http_requests", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, from its arrival to its last byte.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests being answered.", multiprocess_mode="livesum")
RATE_LIMIT = Counter("rate_limit_decisions", "Rate limit checks, by policy and decision.", ["policy", "decision"])


class ProcessCollector(Collector):
    """The cache runtime's counters (``cache_<name>_total``) and the engine's pool, read at scrape time."""

    def collect(self) -> Iterator[Metric]:
        runtime = cache_runtime_if_started()
        if runtime is not None:
            for name, value in runtime.metrics.as_dict().items():
                family = CounterMetricFamily(f"cache_{name}", f"Cache: {name.replace('_', ' ')}.")
                family.add_metric([], value)
                yield family
        engine = engine_if_created()
        pool = engine.pool if engine is not None else None
        if isinstance(pool, QueuePool):  # the pools that have a size (SQLite files and PostgreSQL by default)
            gauge = GaugeMetricFamily("db_pool_connections", "Database pool connections, by state.", labels=["state"])
            gauge.add_metric(["checked_out"], pool.checkedout())
            gauge.add_metric(["idle"], pool.checkedin())
            gauge.add_metric(["overflow"], max(pool.overflow(), 0))
            yield gauge
            size = GaugeMetricFamily("db_pool_size", "Database pool size (without overflow).")
            size.add_metric([], pool.size())
            yield size


_PROCESS_COLLECTOR = ProcessCollector()
REGISTRY.register(_PROCESS_COLLECTOR)


def registry() -> CollectorRegistry:
    """What ``/metrics`` serves: this process's registry, or every worker's in multiprocess mode."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    workers = CollectorRegistry()
    multiprocess.MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
    return workers


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Count and time every HTTP request by method, route template and status; track requests in flight."""

    def __init__(self, app: ASGIApp, routes: RouteTemplates | None = None) -> None:
        self.app = app
        self.routes = routes or RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = AnsweredStatus(send)
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, status.send)
        finally:
            IN_FLIGHT.dec()
            route = self.routes.of(scope)
            REQUESTS.labels(scope["method"], route, str(status.code)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
