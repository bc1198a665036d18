"""The /documents API through the pytest-svc fixtures: audit fields, auth, problems, Redis views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pytest_svc import assert_paginated, assert_soft_deleted
from reference_app.auth import PrincipalLike
from reference_app.documents.models import Document

pytestmark = pytest.mark.asyncio

PROBLEM = "application/problem+json"


async def create(client: httpx.AsyncClient, title: str = "Quarterly report") -> dict[str, Any]:
    response = await client.post("/documents", json={"title": title, "body": "text"})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def count_documents(db_session: AsyncSession) -> int:
    return (await db_session.execute(select(func.count()).select_from(Document))).scalar_one()


async def test_create_records_the_caller_not_the_body_as_author(
    auth_client: httpx.AsyncClient, db_session: AsyncSession, current_user: PrincipalLike
) -> None:
    response = await auth_client.post("/documents", json={"title": "Plan", "created_by": "forged@example.com"})

    assert response.status_code == 201
    # Column query: reads the row as stored, whatever objects the sessions hold.
    row = (
        await db_session.execute(
            select(Document.title, Document.created_by, Document.updated_by, Document.tenant_id).where(
                Document.id == response.json()["id"]
            )
        )
    ).one()
    assert tuple(row) == ("Plan", current_user.email, current_user.email, current_user.tenant_id)


async def test_create_without_token_is_a_401_problem(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    response = await client.post("/documents", json={"title": "Plan"})

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401
    assert response.json()["instance"] == "/documents"
    assert await count_documents(db_session) == 0


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": "x" * 201}], ids=["missing", "empty", "too-long"])
async def test_invalid_title_is_a_422_problem_pointing_at_title(
    auth_client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    response = await auth_client.post("/documents", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [error["pointer"] for error in response.json()["errors"]] == ["#/title"]


async def test_missing_document_is_a_404_problem(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.get("/documents/999999")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert (problem["type"], problem["title"], problem["status"]) == ("about:blank", "Not Found", 404)
    assert problem["instance"] == "/documents/999999"


async def test_update_records_the_updating_user(
    auth_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    current_user: PrincipalLike,
    make_user: Callable[..., PrincipalLike],
    mock_auth_token: Callable[[PrincipalLike], str],
) -> None:
    document = await create(auth_client)
    editor = make_user(roles=("user",), email="editor@example.com")

    response = await client.patch(
        f"/documents/{document['id']}",
        json={"title": "Renamed"},
        headers={"Authorization": f"Bearer {mock_auth_token(editor)}"},
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert response.json()["created_by"] == current_user.email
    assert response.json()["updated_by"] == "editor@example.com"


async def test_delete_needs_the_admin_role(
    auth_client: httpx.AsyncClient, admin_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    url = f"/documents/{(await create(auth_client))['id']}"

    forbidden = await auth_client.delete(url)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith(PROBLEM)
    assert await count_documents(db_session) == 1

    assert (await admin_client.delete(url)).status_code == 204
    assert (await admin_client.get(url)).status_code == 404
    # Soft: the row stays, marked deleted by the admin.
    document = (await db_session.execute(select(Document))).scalar_one()
    assert_soft_deleted(document, deleted_by="admin@example.com")


async def test_views_are_counted_in_redis(auth_client: httpx.AsyncClient, mock_redis: Redis) -> None:
    document_id = (await create(auth_client))["id"]

    first = await auth_client.post(f"/documents/{document_id}/views")
    second = await auth_client.post(f"/documents/{document_id}/views")

    assert (first.json(), second.json()) == ({"views": 1}, {"views": 2})
    assert await mock_redis.get(f"documents:{document_id}:views") == "2"


async def test_views_of_a_missing_document_are_404_and_not_counted(
    auth_client: httpx.AsyncClient, mock_redis: Redis
) -> None:
    response = await auth_client.post("/documents/999999/views")

    assert response.status_code == 404
    assert await mock_redis.exists("documents:999999:views") == 0


async def test_list_pages_in_id_order(auth_client: httpx.AsyncClient) -> None:
    ids = [(await create(auth_client, f"doc {n}"))["id"] for n in range(5)]

    page = await auth_client.get("/documents", params={"limit": 2, "offset": 1})
    everything = await auth_client.get("/documents")

    assert_paginated(page, total=5, limit=2, offset=1)
    assert [document["id"] for document in page.json()["items"]] == ids[1:3]
    assert [document["id"] for document in everything.json()["items"]] == ids


async def test_list_rejects_a_zero_limit(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.get("/documents", params={"limit": 0})

    assert response.status_code == 422
    assert [error["pointer"] for error in response.json()["errors"]] == ["#/query/limit"]
