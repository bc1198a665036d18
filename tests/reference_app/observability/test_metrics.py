"""Prometheus metrics: requests by route template (never the raw path), latency, cache and rate-limit counters."""

from __future__ import annotations

import httpx
import pytest

from pytest_svc import Metrics, SettingsOverride

pytestmark = pytest.mark.asyncio

DOCUMENT = "/documents/{document_id}"


async def test_a_read_is_counted_under_its_route_template(auth_client: httpx.AsyncClient, metrics: Metrics) -> None:
    created = await auth_client.post("/documents", json={"title": "Counted"})
    document_id = created.json()["id"]
    await auth_client.get(f"/documents/{document_id}")
    await auth_client.get(f"/documents/{document_id}")
    assert metrics.delta("http_requests_total", method="GET", route=DOCUMENT, status="200") == 2
    assert metrics.delta("http_requests_total", method="POST", route="/documents", status="201") == 1
    assert metrics.delta("http_request_duration_seconds_count", method="GET", route=DOCUMENT) == 2
    assert metrics.value("http_requests_in_flight") == 0
    # The first read filled the cache, the second was answered from it.
    assert metrics.delta("cache_misses_total") >= 1
    assert metrics.delta("cache_hits_total") >= 1

    exposition = (await auth_client.get("/metrics")).text
    assert f'route="{DOCUMENT}"' in exposition
    assert f"/documents/{document_id}" not in exposition


async def test_rate_limit_decisions_are_counted(
    client: httpx.AsyncClient, metrics: Metrics, settings_override: SettingsOverride
) -> None:
    settings_override(rate_limit__requests=1)
    assert (await client.post("/echo", json={})).status_code == 200
    assert (await client.post("/echo", json={})).status_code == 429
    assert metrics.delta("rate_limit_decisions_total", policy="default", decision="allowed") == 1
    assert metrics.delta("rate_limit_decisions_total", policy="default", decision="denied") == 1
    assert metrics.delta("http_requests_total", method="POST", route="/echo", status="429") == 1  # before routing


async def test_the_scrape_is_not_rate_limited(client: httpx.AsyncClient, settings_override: SettingsOverride) -> None:
    settings_override(rate_limit__requests=1)
    for _ in range(3):
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
