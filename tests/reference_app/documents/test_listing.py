"""Listing, searching, bulk-creating and restoring documents through the API, per tenant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_svc import MakeClient, MakeUser, assert_paginated, assert_problem_detail

pytestmark = pytest.mark.asyncio


async def bulk(client: httpx.AsyncClient, *titles: str) -> list[dict[str, Any]]:
    response = await client.post("/documents/bulk", json={"items": [{"title": title} for title in titles]})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_bulk_create_stamps_every_row(auth_client: httpx.AsyncClient, current_user: Any) -> None:
    created = await bulk(auth_client, "a", "b", "c")
    assert [d["title"] for d in created] == ["a", "b", "c"]
    assert {(d["created_by"], d["tenant_id"]) for d in created} == {(current_user.email, current_user.tenant_id)}
    assert len({d["id"] for d in created}) == 3


async def test_bulk_create_is_all_or_nothing(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post("/documents/bulk", json={"items": [{"title": "ok"}, {"title": ""}]})
    assert_problem_detail(response, status=422)
    assert response.json()["errors"][0]["pointer"] == "#/items/1/title"
    assert_paginated(await auth_client.get("/documents"), total=0, items=[])


async def test_cursor_pages_walk_forward_and_back(auth_client: httpx.AsyncClient) -> None:
    ids = [d["id"] for d in await bulk(auth_client, *(f"doc {n:02}" for n in range(7)))]
    seen: list[int] = []
    cursor = None
    pages = []
    while True:
        page = assert_paginated(await auth_client.get("/documents/cursor", params={"limit": 3, "cursor": cursor}))
        pages.append(page)
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    back = await auth_client.get("/documents/cursor", params={"limit": 3, "cursor": pages[-1]["prev_cursor"]})
    assert [d["id"] for d in back.json()["items"]] == ids[3:6]


async def test_cursor_sorted_by_title_descending(auth_client: httpx.AsyncClient) -> None:
    await bulk(auth_client, "b", "c", "a")
    page = await auth_client.get("/documents/cursor", params={"sort": "title", "descending": True})
    assert [d["title"] for d in page.json()["items"]] == ["c", "b", "a"]


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", "eyJ2IjoxfQ.AAAA", "x" * 1024], ids=["garbage", "forged-signature", "oversized"]
)
async def test_a_bad_cursor_is_a_400_problem(auth_client: httpx.AsyncClient, cursor: str) -> None:
    response = await auth_client.get("/documents/cursor", params={"cursor": cursor})
    assert_problem_detail(response, status=400, title="Bad Request")


async def test_a_tampered_cursor_is_a_400_problem(auth_client: httpx.AsyncClient) -> None:
    await bulk(auth_client, "a", "b", "c")
    cursor = (await auth_client.get("/documents/cursor", params={"limit": 1})).json()["next_cursor"]
    payload, _, signature = cursor.partition(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    assert_problem_detail(await auth_client.get("/documents/cursor", params={"cursor": tampered}), status=400)


async def test_search_matches_titles_case_insensitively(auth_client: httpx.AsyncClient) -> None:
    await bulk(auth_client, "Quarterly Report", "report draft", "Minutes")
    page = assert_paginated(await auth_client.get("/documents/search", params={"q": "REPORT"}), total=2)
    assert [d["title"] for d in page["items"]] == ["Quarterly Report", "report draft"]


async def test_soft_delete_hides_and_restore_brings_back(
    auth_client: httpx.AsyncClient, admin_client: httpx.AsyncClient
) -> None:
    document_id = (await bulk(auth_client, "keep", "drop"))[1]["id"]
    assert (await admin_client.delete(f"/documents/{document_id}")).status_code == 204
    assert [d["title"] for d in (await auth_client.get("/documents")).json()["items"]] == ["keep"]
    assert_problem_detail(await auth_client.get(f"/documents/{document_id}"), status=404)

    assert_problem_detail(await auth_client.post(f"/documents/{document_id}/restore"), status=403)
    restored = await admin_client.post(f"/documents/{document_id}/restore")
    assert restored.json()["deleted_at"] is None
    assert (await auth_client.get(f"/documents/{document_id}")).status_code == 200


async def test_hard_delete_removes_the_row(admin_client: httpx.AsyncClient) -> None:
    document_id = (await bulk(admin_client, "gone"))[0]["id"]
    assert (await admin_client.delete(f"/documents/{document_id}", params={"hard": True})).status_code == 204
    assert_problem_detail(await admin_client.post(f"/documents/{document_id}/restore"), status=404)


async def test_tenants_see_only_their_own_documents(
    auth_client: httpx.AsyncClient, make_user: MakeUser, make_client: MakeClient
) -> None:
    mine = (await bulk(auth_client, "tenant A's"))[0]["id"]
    other = make_client(make_user(tenant_id="tenant-b"))
    assert_paginated(await other.get("/documents"), total=0)
    assert_problem_detail(await other.get(f"/documents/{mine}"), status=404)
    assert_problem_detail(await other.patch(f"/documents/{mine}", json={"title": "hijack"}), status=404)
    theirs = await other.post("/documents", json={"title": "tenant B's"})
    assert theirs.json()["tenant_id"] == "tenant-b"
    assert [d["id"] for d in (await auth_client.get("/documents")).json()["items"]] == [mine]
