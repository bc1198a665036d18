"""CORS and trusted hosts, from settings: the middleware is there only when the settings name origins or hosts.

The middleware is built with the app, so each test builds an app of its own from a copy of the settings and
talks to it in process; the routes used touch neither the database nor Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from pytest_svc import assert_request_id, assert_security_headers
from reference_app.main import create_app
from reference_app.settings import AppSettings

pytestmark = pytest.mark.asyncio

PAGE = "https://app.example.com"


@asynccontextmanager
async def client_of(change: Callable[[AppSettings], None], base_url: str = "http://test") -> AsyncIterator[Any]:
    settings = AppSettings()
    change(settings)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


def allow_page(settings: AppSettings) -> None:
    settings.cors.allow_origins = [PAGE]


async def test_no_cors_headers_until_origins_are_allowed() -> None:
    async with client_of(lambda _settings: None) as client:
        response = await client.get("/health/live", headers={"Origin": PAGE})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_page_can_read_the_answer_and_its_request_id() -> None:
    async with client_of(allow_page) as client:
        response = await client.get("/health/live", headers={"Origin": PAGE})
    assert response.headers["access-control-allow-origin"] == PAGE
    exposed = [name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")]
    assert {"x-request-id", "x-correlation-id", "ratelimit", "retry-after"} <= set(exposed)
    assert_request_id(response)


async def test_a_preflight_is_answered_with_the_edge_headers() -> None:
    preflight = {
        "Origin": PAGE,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "x-request-id",
    }
    async with client_of(allow_page) as client:
        response = await client.options("/documents/1", headers=preflight)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PAGE
    assert "PATCH" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-max-age"] == "600"
    assert_request_id(response)
    assert_security_headers(response)


async def test_another_origin_gets_no_cors_headers() -> None:
    async with client_of(allow_page) as client:
        response = await client.get("/health/live", headers={"Origin": "https://evil.example.net"})
        preflight = await client.options(
            "/documents", headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"}
        )
    assert "access-control-allow-origin" not in response.headers
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def only_api_host(settings: AppSettings) -> None:
    settings.trusted_hosts.allowed_hosts = ["api.example.com"]


async def test_a_listed_host_is_served() -> None:
    async with client_of(only_api_host, base_url="http://api.example.com") as client:
        response = await client.get("/health/live")
    assert response.status_code == 200


async def test_another_host_is_refused_with_the_edge_headers() -> None:
    async with client_of(only_api_host, base_url="http://evil.example.net") as client:
        response = await client.get("/health/live")
    assert response.status_code == 400
    assert_request_id(response)
    assert_security_headers(response)
