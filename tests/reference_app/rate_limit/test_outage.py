"""Rate limiting while Redis is down: fail open (let through) or fail closed (503), logged and counted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from pytest_svc import SettingsOverride, assert_problem_detail
from reference_app.rate_limit import outages
from reference_app.redis_client import get_redis

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def redis_down(app: Any, settings_override: SettingsOverride) -> Redis:
    """Give ``app`` a Redis client on a closed port (the ``app`` fixture restores the overrides afterwards)."""
    settings_override(rate_limit={"enabled": True, "fail_open": True, "exempt_paths": ["/health"]})
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.1, decode_responses=True)
    app.dependency_overrides[get_redis] = lambda: down
    return down


async def test_failing_open_lets_requests_through(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    before = outages["open"]
    response = await client.post("/echo", json={"still": "served"})
    assert response.status_code == 200
    assert response.json() == {"still": "served"}
    assert "ratelimit" not in response.headers  # nothing known, nothing advertised
    assert outages["open"] == before + 2  # the middleware's check and the route's
    assert "failing open" in caplog.text


async def test_failing_closed_refuses_with_a_503_problem(
    client: httpx.AsyncClient, settings_override: SettingsOverride, caplog: pytest.LogCaptureFixture
) -> None:
    settings_override(rate_limit__fail_open=False)
    before = outages["closed"]
    response = await client.post("/echo", json={})
    assert_problem_detail(response, status=503, title="Service Unavailable")
    assert response.headers["retry-after"] == "5"
    assert outages["closed"] == before + 1
    assert "failing closed" in caplog.text
    assert (await client.get("/health/live")).status_code == 200  # probes are never limited


async def test_a_route_limit_fails_closed_too(client: httpx.AsyncClient, settings_override: SettingsOverride) -> None:
    settings_override(rate_limit__fail_open=False, rate_limit__exempt_paths=["/health", "/echo"])  # no global check
    response = await client.post("/echo", json={})
    assert_problem_detail(response, status=503, title="Service Unavailable")
    assert response.headers["retry-after"] == "5"


async def test_disabled_rate_limiting_never_asks_redis(
    client: httpx.AsyncClient, settings_override: SettingsOverride
) -> None:
    settings_override(rate_limit__enabled=False, rate_limit__fail_open=False)
    before = +outages
    assert (await client.post("/echo", json={})).status_code == 200
    assert +outages == before
