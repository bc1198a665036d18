"""The cache in the API: reads served from Redis, writes invalidating them, and a Redis outage as a pass-through."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from pytest_svc import MakeClient, MakeUser, QueryCounter
from reference_app.cache import get_cache_runtime
from reference_app.redis_client import get_redis

pytestmark = pytest.mark.asyncio


async def create(client: httpx.AsyncClient, title: str = "Plan") -> dict[str, Any]:
    response = await client.post("/documents", json={"title": title})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def get_counting_sql(client: httpx.AsyncClient, url: str, counter: QueryCounter) -> tuple[httpx.Response, int]:
    with counter.capture() as statements:
        response = await client.get(url)
    return response, len(statements)


async def test_a_document_read_again_comes_from_the_cache(
    auth_client: httpx.AsyncClient, query_counter: QueryCounter, mock_redis: Redis
) -> None:
    url = f"/documents/{(await create(auth_client))['id']}"

    first, first_sql = await get_counting_sql(auth_client, url, query_counter)
    second, second_sql = await get_counting_sql(auth_client, url, query_counter)

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert (first_sql, second_sql) == (1, 0)
    assert await mock_redis.exists(f"cache:documents:{first.json()['id']}") == 1


async def test_every_document_write_invalidates_its_cached_reads(
    auth_client: httpx.AsyncClient, admin_client: httpx.AsyncClient, query_counter: QueryCounter
) -> None:
    url = f"/documents/{(await create(admin_client))['id']}"
    await admin_client.get(url)

    assert (await admin_client.patch(url, json={"title": "Renamed"})).status_code == 200
    response, sql = await get_counting_sql(auth_client, url, query_counter)
    assert (response.json()["title"], sql) == ("Renamed", 1)

    assert (await admin_client.delete(url)).status_code == 204
    assert (await auth_client.get(url)).status_code == 404

    assert (await admin_client.post(f"{url}/restore")).status_code == 200
    assert (await auth_client.get(url)).json()["title"] == "Renamed"


async def test_a_cached_document_is_still_hidden_from_other_tenants(
    auth_client: httpx.AsyncClient, make_user: MakeUser, make_client: MakeClient
) -> None:
    document_id = (await create(auth_client))["id"]
    assert (await auth_client.get(f"/documents/{document_id}")).status_code == 200  # now cached

    outsider = make_client(make_user(tenant_id="another-tenant"))
    response = await outsider.get(f"/documents/{document_id}")

    assert response.status_code == 404
    assert response.json()["detail"] == f"Document {document_id} not found."  # as if it did not exist


async def test_listing_pages_are_cached_until_a_document_of_the_tenant_changes(
    auth_client: httpx.AsyncClient, query_counter: QueryCounter
) -> None:
    await create(auth_client, "a")
    first, _ = await get_counting_sql(auth_client, "/documents?limit=10", query_counter)
    again, sql = await get_counting_sql(auth_client, "/documents?limit=10", query_counter)
    assert (again.json(), sql) == (first.json(), 0)

    bulk = await auth_client.post("/documents/bulk", json={"items": [{"title": "b"}, {"title": "c"}]})
    assert bulk.status_code == 201
    after_bulk = await auth_client.get("/documents?limit=10")
    assert [d["title"] for d in after_bulk.json()["items"]] == ["a", "b", "c"]

    await auth_client.patch(f"/documents/{bulk.json()[0]['id']}", json={"title": "B"})
    after_patch = await auth_client.get("/documents?limit=10")
    assert [d["title"] for d in after_patch.json()["items"]] == ["a", "B", "c"]


async def test_the_callers_profile_is_cached_until_they_change_it(
    auth_client: httpx.AsyncClient, query_counter: QueryCounter
) -> None:
    first, _ = await get_counting_sql(auth_client, "/users/me", query_counter)
    again, sql = await get_counting_sql(auth_client, "/users/me", query_counter)
    assert (again.json(), sql) == (first.json(), 0)

    assert (await auth_client.patch("/users/me", json={"name": "Ann"})).status_code == 200
    assert (await auth_client.get("/users/me")).json()["name"] == "Ann"

    before = (await auth_client.get("/users/me")).json()["updated_at"]
    assert (await auth_client.put("/users/me/preferences", json={"theme": "dark"})).status_code == 200
    assert (await auth_client.get("/users/me")).json()["updated_at"] != before


async def test_an_admin_read_of_a_profile_follows_its_owners_changes(
    auth_client: httpx.AsyncClient, admin_client: httpx.AsyncClient, query_counter: QueryCounter
) -> None:
    url = f"/users/{(await auth_client.get('/users/me')).json()['id']}"
    first, _ = await get_counting_sql(admin_client, url, query_counter)
    again, sql = await get_counting_sql(admin_client, url, query_counter)
    assert (again.json(), sql) == (first.json(), 0)

    await auth_client.patch("/users/me", json={"name": "Renamed"})

    assert (await admin_client.get(url)).json()["name"] == "Renamed"


async def test_with_redis_down_cached_routes_still_answer_and_the_outage_is_counted(
    app: Any, auth_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"/documents/{(await create(auth_client))['id']}"
    metrics = get_cache_runtime().metrics
    errors_before = metrics.errors
    app.dependency_overrides[get_redis] = lambda: Redis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.1, decode_responses=True
    )

    with caplog.at_level(logging.WARNING, logger="reference_app.cache"):
        responses = [
            await auth_client.get(url),
            await auth_client.get(url),
            await auth_client.patch(url, json={"title": "During the outage"}),
            await auth_client.get("/documents"),
            await auth_client.get("/users/me"),
        ]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200]
    assert responses[1].json()["title"] == "Plan"
    assert metrics.errors - errors_before >= 5
    assert metrics.invalidation_errors == 1
    assert "reading from the source until Redis answers" in caplog.text
