"""Rate limiting: token buckets per caller in Redis, the global middleware, the ``/echo`` route limit, headers."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
import redis.asyncio

from pytest_svc import MakeClient, MakeUser, SettingsOverride, assert_rate_limited
from reference_app.rate_limit import TOKEN_BUCKET_SHA, outages

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def rate_limit_defaults(settings_override: SettingsOverride) -> None:
    """The rate limit settings the tests assume, whatever ``APP_RATE_LIMIT__*`` says; a test overrides them."""
    defaults = {"enabled": True, "requests": 100, "window_seconds": 60, "fail_open": True, "exempt_paths": ["/health"]}
    settings_override(rate_limit=defaults)  # a dict for a nested model sets its fields, in place


def legacy(response: httpx.Response) -> tuple[str, str, str]:
    headers = response.headers
    return headers["x-ratelimit-limit"], headers["x-ratelimit-remaining"], headers["x-ratelimit-reset"]


async def test_an_allowed_response_advertises_the_policy_and_the_quota_left(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.get("/documents")
    assert response.status_code == 200
    assert response.headers["ratelimit-policy"] == '"default";q=100;w=60'
    # 99 tokens left; one token comes back every 0.6 s, so the bucket is full again within 1 s.
    assert response.headers["ratelimit"] == '"default";r=99;t=1'
    assert legacy(response) == ("100", "99", "1")


async def test_a_route_limit_is_listed_after_the_global_one(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"hello": "world"})
    assert response.status_code == 200
    assert response.json() == {"hello": "world"}
    assert response.headers["ratelimit-policy"] == '"default";q=100;w=60, "/echo";q=10;w=60'
    assert response.headers["ratelimit"] == '"default";r=99;t=1, "/echo";r=9;t=6'
    assert legacy(response) == ("10", "9", "6")  # the legacy headers describe the tighter policy


async def test_health_probes_are_not_limited(client: httpx.AsyncClient, settings_override: SettingsOverride) -> None:
    settings_override(rate_limit__requests=1)
    for _ in range(3):
        response = await client.get("/health/live")
        assert response.status_code == 200
        assert "ratelimit" not in response.headers


async def test_over_the_limit_is_a_429_problem_with_retry_after(
    client: httpx.AsyncClient, settings_override: SettingsOverride
) -> None:
    settings_override(rate_limit__requests=2, rate_limit__window_seconds=60)
    assert (await client.post("/echo", json={})).status_code == 200
    last = await client.post("/echo", json={})
    # No token left: t is the wait for the next one (60 s / 2 tokens), not for a full bucket.
    assert last.headers["ratelimit"].startswith('"default";r=0;t=30,')
    response = await client.post("/echo", json={})
    problem = assert_rate_limited(response, retry_after=30)
    assert problem["title"] == "Too Many Requests"
    assert problem["violated-policies"] == ["default"]  # as in the draft's quota-exceeded problem type
    assert response.headers["ratelimit-policy"] == '"default";q=2;w=60'
    assert response.headers["ratelimit"] == '"default";r=0;t=30'
    assert legacy(response) == ("2", "0", "30")


async def test_callers_have_buckets_of_their_own(
    make_client: MakeClient, make_user: MakeUser, settings_override: SettingsOverride
) -> None:
    settings_override(rate_limit__requests=1)
    callers = [
        make_client(),  # by IP: every test client is 127.0.0.1
        make_client(make_user()),  # by credentials
        make_client(make_user()),
        make_client(headers={"X-API-Key": "key-1"}),
        make_client(headers={"X-API-Key": "key-2"}),
    ]
    first = [await caller.post("/echo", json={}) for caller in callers]
    second = [await caller.post("/echo", json={}) for caller in callers]
    assert [r.status_code for r in first] == [200] * len(callers)
    assert [r.status_code for r in second] == [429] * len(callers)


async def test_tokens_refill_over_time(client: httpx.AsyncClient, settings_override: SettingsOverride) -> None:
    settings_override(rate_limit__requests=2, rate_limit__window_seconds=1)  # a token every 0.5 s
    assert [(await client.post("/echo", json={})).status_code for _ in range(3)] == [200, 200, 429]
    await asyncio.sleep(0.55)
    assert [(await client.post("/echo", json={})).status_code for _ in range(2)] == [200, 429]


async def test_the_script_is_loaded_again_after_script_flush(
    client: httpx.AsyncClient, mock_redis: redis.asyncio.Redis
) -> None:
    assert (await client.post("/echo", json={})).headers["ratelimit"].startswith('"default";r=99;')
    await mock_redis.script_flush()
    assert await mock_redis.script_exists(TOKEN_BUCKET_SHA) == [False]
    response = await client.post("/echo", json={})
    assert response.status_code == 200
    assert response.headers["ratelimit"].startswith('"default";r=98;')
    assert await mock_redis.script_exists(TOKEN_BUCKET_SHA) == [True]


async def test_200_concurrent_requests_admit_exactly_50(
    client: httpx.AsyncClient, settings_override: SettingsOverride
) -> None:
    # /health/live counted for once: no database, no route limit. A token every 72 s: none comes back meanwhile.
    settings_override(rate_limit__requests=50, rate_limit__window_seconds=3600, rate_limit__exempt_paths=[])
    before = +outages
    responses = await asyncio.gather(*(client.get("/health/live") for _ in range(200)))
    assert Counter(r.status_code for r in responses) == {200: 50, 429: 150}
    # 200 at once need more connections than the pool's 100: the limiter waits for one rather than fail open.
    assert +outages == before


async def test_concurrent_requests_admit_exactly_the_route_limit(
    client: httpx.AsyncClient, settings_override: SettingsOverride
) -> None:
    settings_override(rate_limit__requests=1000)
    responses = await asyncio.gather(*(client.post("/echo", json={}) for _ in range(200)))
    assert Counter(r.status_code for r in responses) == {200: 10, 429: 190}
    refused = [r for r in responses if r.status_code == 429]
    assert {tuple(r.json()["violated-policies"]) for r in refused} == {("/echo",)}
    assert all(1 <= int(r.headers["retry-after"]) <= 6 for r in refused)
