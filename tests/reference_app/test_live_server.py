"""The reference app over a real socket (``live_server``): auth, the Redis cache and rate limits end to end."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio

from pytest_svc import (
    LiveServer,
    MakeUser,
    MockAuthToken,
    assert_problem_detail,
    assert_rate_limited,
    assert_request_id,
    assert_security_headers,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def tenant_user(make_user: MakeUser) -> Any:
    """A user of a tenant no other test uses: the live server's data lasts for the session."""
    return make_user(tenant_id=f"live-{uuid.uuid4().hex[:8]}")


@pytest_asyncio.fixture(loop_scope="session")
async def live_client(
    live_server: LiveServer, tenant_user: Any, mock_auth_token: MockAuthToken
) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {mock_auth_token(tenant_user)}"}
    async with httpx.AsyncClient(base_url=live_server.url, headers=headers) as client:
        yield client


async def test_a_document_read_is_cached_in_the_servers_redis(
    live_client: httpx.AsyncClient, live_server: LiveServer
) -> None:
    created = await live_client.post("/documents", json={"title": "over a socket", "body": "b"})
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    first = await live_client.get(f"/documents/{document_id}")
    second = await live_client.get(f"/documents/{document_id}")
    assert first.json() == second.json() == created.json()
    server_redis = redis.asyncio.Redis.from_url(live_server.redis_url or "", decode_responses=True)
    try:
        cached = [key async for key in server_redis.scan_iter(match="cache:*")]
    finally:
        await server_redis.aclose()
    assert any(str(document_id) in key for key in cached), cached


async def test_another_tenants_document_is_a_404_problem(
    live_client: httpx.AsyncClient, live_server: LiveServer, make_user: MakeUser, mock_auth_token: MockAuthToken
) -> None:
    created = await live_client.post("/documents", json={"title": "mine", "body": "b"})
    stranger = make_user(tenant_id=f"other-{uuid.uuid4().hex[:8]}")
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.get(
            f"/documents/{created.json()['id']}", headers={"Authorization": f"Bearer {mock_auth_token(stranger)}"}
        )
        assert_problem_detail(response, 404)
        assert_problem_detail(await client.get("/documents"), 401)


async def test_the_echo_route_limit_answers_429_over_the_socket(live_client: httpx.AsyncClient) -> None:
    statuses = [(await live_client.post("/echo", json={"n": n})).status_code for n in range(10)]
    assert statuses == [200] * 10
    refused = await live_client.post("/echo", json={"n": 10})
    assert_rate_limited(refused)


async def test_over_a_socket_answers_carry_the_request_id_and_the_security_headers(
    live_client: httpx.AsyncClient,
) -> None:
    # Through uvicorn itself: its own "Server" header must be gone too.
    for response in (
        await live_client.get("/health/live", headers={"X-Request-ID": "socket-0123456789"}),
        await live_client.get("/no-such-route"),
    ):
        assert_security_headers(response)
    assert_request_id(
        await live_client.get("/health/live", headers={"X-Request-ID": "socket-0123456789"}), "socket-0123456789"
    )
