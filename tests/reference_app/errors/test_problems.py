"""Every error the reference app can produce is an RFC 9457 problem: status, title, instance, no internals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pytest_svc import MakeClient, assert_problem_detail
from reference_app.errors import TooManyRequestsError
from reference_app.redis_client import get_redis

pytestmark = pytest.mark.asyncio


async def test_401_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/documents")
    assert_problem_detail(response, status=401, title="Unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_403_for_a_missing_role(auth_client: httpx.AsyncClient) -> None:
    created = await auth_client.post("/documents", json={"title": "Mine"})
    response = await auth_client.delete(f"/documents/{created.json()['id']}")
    assert_problem_detail(response, status=403, title="Forbidden")


async def test_404_for_an_unknown_route_and_an_unknown_document(auth_client: httpx.AsyncClient) -> None:
    assert_problem_detail(await auth_client.get("/no-such-route"), status=404, title="Not Found")
    response = await auth_client.get("/documents/424242")
    assert_problem_detail(response, status=404, title="Not Found")
    assert response.json()["instance"] == "/documents/424242"


async def test_405_for_a_wrong_method(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.put("/documents")
    assert_problem_detail(response, status=405, title="Method Not Allowed")
    assert response.headers["allow"] == "GET, POST"


async def test_a_405_allows_every_method_of_the_path_not_only_the_first_routes(auth_client: httpx.AsyncClient) -> None:
    # /documents/{document_id} has three routes (GET, PATCH, DELETE); Starlette's 405 named the first one's only.
    response = await auth_client.put("/documents/1")
    assert_problem_detail(response, status=405)
    assert response.headers["allow"] == "DELETE, GET, PATCH"
    assert (await auth_client.post("/health/live")).headers["allow"] == "GET"


async def test_413_for_a_declared_oversized_body(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post("/documents", content=b"x" * 1_048_577, headers={"content-type": "text/plain"})
    assert_problem_detail(response, status=413)
    assert "1048576 bytes" in response.json()["detail"]


async def test_413_for_an_oversized_chunked_body(auth_client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 300_000

    response = await auth_client.post("/documents", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_problem_detail(response, status=413)


async def test_422_lists_each_field_error(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post("/documents", json={"title": "", "body": 7})
    assert_problem_detail(response, status=422)
    pointers = sorted(error["pointer"] for error in response.json()["errors"])
    assert pointers == ["#/body", "#/title"]
    assert all(error["detail"] for error in response.json()["errors"])


async def test_429_carries_retry_after(app: Any, auth_client: httpx.AsyncClient) -> None:
    def rate_limited() -> None:
        raise TooManyRequestsError("Slow down.", retry_after=7)

    created = await auth_client.post("/documents", json={"title": "Counted"})
    app.dependency_overrides[get_redis] = rate_limited
    response = await auth_client.post(f"/documents/{created.json()['id']}/views")
    assert_problem_detail(response, status=429, title="Too Many Requests", detail="Slow down.")
    assert response.headers["retry-after"] == "7"


async def test_500_shows_nothing_of_the_exception(
    app: Any, make_client: MakeClient, current_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_redis() -> None:
        raise RuntimeError("redis password is hunter2")

    client = make_client(current_user, raise_app_exceptions=False)
    created = await client.post("/documents", json={"title": "Counted"})
    app.dependency_overrides[get_redis] = broken_redis
    response = await client.post(f"/documents/{created.json()['id']}/views")
    assert_problem_detail(response, status=500, title="Internal Server Error", detail="An unexpected error occurred.")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "hunter2" in caplog.text  # kept for the operators
