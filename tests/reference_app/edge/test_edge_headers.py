"""Every answer of the reference app carries its request ID and the security headers: success, errors, middleware's.

Each kind of response is provoked the way a caller would (or, for the 429 and 500 from inside the app, by
overriding a dependency), then read with the plugin's helpers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from pytest_svc import MakeClient, SettingsOverride, assert_request_id, assert_security_headers
from reference_app.errors import TooManyRequestsError
from reference_app.middleware import outbound_headers
from reference_app.redis_client import get_redis

pytestmark = pytest.mark.asyncio

Provoke = Callable[[httpx.AsyncClient, Any, SettingsOverride], Awaitable[httpx.Response]]


async def ok(client: httpx.AsyncClient, _app: Any, _override: SettingsOverride) -> httpx.Response:
    return await client.get("/health/live")


async def unauthorized(client: httpx.AsyncClient, _app: Any, _override: SettingsOverride) -> httpx.Response:
    return await client.get("/documents", headers={"Authorization": "Bearer not-a-token"})


async def not_found(client: httpx.AsyncClient, _app: Any, _override: SettingsOverride) -> httpx.Response:
    return await client.get("/no-such-route")


async def wrong_method(client: httpx.AsyncClient, _app: Any, _override: SettingsOverride) -> httpx.Response:
    return await client.put("/documents")


async def too_large(client: httpx.AsyncClient, _app: Any, _override: SettingsOverride) -> httpx.Response:
    return await client.post("/documents", content=b"x" * 1_048_577, headers={"content-type": "text/plain"})


async def invalid(client: httpx.AsyncClient, _app: Any, _override: SettingsOverride) -> httpx.Response:
    return await client.post("/documents", json={"title": ""})


async def over_the_limit(client: httpx.AsyncClient, _app: Any, override: SettingsOverride) -> httpx.Response:
    override(rate_limit__requests=1)
    await client.post("/echo", json={})
    return await client.post("/echo", json={})  # the middleware's own 429


async def refused_inside(client: httpx.AsyncClient, app: Any, _override: SettingsOverride) -> httpx.Response:
    def rate_limited() -> None:
        raise TooManyRequestsError("Slow down.", retry_after=7)

    created = await client.post("/documents", json={"title": "Counted"})
    app.dependency_overrides[get_redis] = rate_limited
    return await client.post(f"/documents/{created.json()['id']}/views")  # the app's own 429


async def crash(client: httpx.AsyncClient, app: Any, _override: SettingsOverride) -> httpx.Response:
    def broken() -> None:
        raise RuntimeError("boom")

    created = await client.post("/documents", json={"title": "Counted"})
    app.dependency_overrides[get_redis] = broken
    return await client.post(f"/documents/{created.json()['id']}/views")


ANSWERS: dict[str, tuple[Provoke, int]] = {
    "200": (ok, 200),
    "401": (unauthorized, 401),
    "404": (not_found, 404),
    "405": (wrong_method, 405),
    "413": (too_large, 413),
    "422": (invalid, 422),
    "429-middleware": (over_the_limit, 429),
    "429-app": (refused_inside, 429),
    "500": (crash, 500),
}


@pytest.fixture
def edge_client(make_client: MakeClient, current_user: Any) -> httpx.AsyncClient:
    # The app's 500 as the caller sees it, not its exception raised in the test.
    return make_client(current_user, raise_app_exceptions=False)


@pytest.mark.parametrize("answer", ANSWERS)
async def test_every_answer_carries_a_new_request_id_and_the_security_headers(
    answer: str, app: Any, edge_client: httpx.AsyncClient, settings_override: SettingsOverride
) -> None:
    provoke, status = ANSWERS[answer]
    response = await provoke(edge_client, app, settings_override)
    assert response.status_code == status
    request_id = assert_request_id(response)  # for a problem, its body's request_id too
    assert uuid.UUID(request_id).version == 7
    assert response.headers["x-correlation-id"] == request_id  # none came in: the request's own
    if status >= 400:
        assert response.json()["request_id"] == request_id
    assert_security_headers(response)


@pytest.mark.parametrize("answer", ["200", "404", "413", "429-middleware", "500"])
async def test_a_valid_incoming_request_id_is_echoed(
    answer: str, app: Any, edge_client: httpx.AsyncClient, settings_override: SettingsOverride
) -> None:
    provoke, _ = ANSWERS[answer]
    edge_client.headers.update({"X-Request-ID": "upstream-0123456789", "X-Correlation-ID": "journey-abcdef01"})
    response = await provoke(edge_client, app, settings_override)
    assert_request_id(response, "upstream-0123456789")
    assert response.headers["x-correlation-id"] == "journey-abcdef01"


@pytest.mark.parametrize("sent", ["short", "has spaces in it", "x" * 200, "line\\nbreak-0123"])
async def test_an_invalid_incoming_request_id_is_replaced(sent: str, client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": sent, "X-Correlation-ID": sent})
    request_id = assert_request_id(response)
    assert request_id != sent
    assert response.headers["x-correlation-id"] == request_id


async def test_two_requests_get_two_ids(client: httpx.AsyncClient) -> None:
    first = assert_request_id(await client.get("/health/live"))
    second = assert_request_id(await client.get("/health/live"))
    assert first != second
    assert first < second  # UUIDv7: later IDs sort later


async def test_incoming_ids_are_refused_when_the_setting_says_so(app: Any, client: httpx.AsyncClient) -> None:
    from reference_app.main import create_app

    settings = app.state.settings.model_copy(deep=True)
    settings.request_id.accept_incoming = False
    strict = create_app(settings)
    transport = httpx.ASGITransport(app=strict)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as strict_client:
        response = await strict_client.get("/health/live", headers={"X-Request-ID": "upstream-0123456789"})
    assert assert_request_id(response) != "upstream-0123456789"


async def test_the_app_cannot_advertise_what_runs_it(app: Any, client: httpx.AsyncClient) -> None:
    @app.get("/_test/server-header")
    async def server_header() -> Any:
        from starlette.responses import JSONResponse

        return JSONResponse({}, headers={"Server": "uvicorn", "X-Powered-By": "FastAPI", "Cache-Control": "max-age=5"})

    try:
        response = await client.get("/_test/server-header")
    finally:
        app.router.routes.pop()
    assert "server" not in response.headers
    assert "x-powered-by" not in response.headers
    assert response.headers["cache-control"] == "max-age=5"  # the app's own cache policy is kept
    assert_security_headers(response, ignore=["Cache-Control"])


async def test_the_correlation_id_goes_to_outbound_calls(app: Any, client: httpx.AsyncClient) -> None:
    seen: list[dict[str, str]] = []

    @app.get("/_test/outbound")
    async def outbound() -> dict[str, str]:
        seen.append(outbound_headers())
        return {}

    try:
        await client.get("/_test/outbound", headers={"X-Correlation-ID": "journey-abcdef01"})
        response = await client.get("/_test/outbound")
    finally:
        app.router.routes.pop()
    assert seen == [{"X-Correlation-ID": "journey-abcdef01"}, {"X-Correlation-ID": response.headers["x-request-id"]}]
    assert outbound_headers() == {}  # outside a request
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-request-id"])
