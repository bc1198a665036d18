"""The reference factories and builders against the real app: factory rows are visible to the API and audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from pytest_svc import (
    assert_audit_trail,
    assert_not_deleted,
    assert_paginated,
    assert_primary_key_set,
    assert_problem_detail,
    assert_timestamps_updated,
    register,
)
from reference_app.db import acting_as
from reference_app.documents.models import Document
from reference_app.users.models import User
from tests.reference_app.factories import DocumentBuilder, DocumentFactory, TagFactory, UserBuilder, UserFactory

register(DocumentFactory)
register(UserFactory)
register(TagFactory)

pytestmark = pytest.mark.asyncio


async def test_factory_rows_are_what_the_api_lists(document_factory: type[DocumentFactory], auth_client: Any) -> None:
    created = await document_factory.create_batch_async(3)
    page = assert_paginated(await auth_client.get("/documents"), total=3)
    assert [item["id"] for item in page["items"]] == [document.id for document in created]


async def test_registered_fixtures_give_persisted_rows(document: Document, user: User, tag: Any) -> None:
    for row in (document, user, tag):
        assert_primary_key_set(row)
    assert_not_deleted(document)
    assert user.id.version == 7  # UUID7PKMixin
    assert tag.id.version == 4  # UUIDPKMixin


async def test_rows_made_under_a_principal_are_audited(
    document_factory: type[DocumentFactory], admin_user: Any, db_session: AsyncSession, auth_client: httpx.AsyncClient
) -> None:
    with acting_as(admin_user.email):  # what get_current_user does for a request
        document = await document_factory.create_async()
    assert_audit_trail(document, created_by=admin_user.email, updated_by=admin_user.email)
    before = document.updated_at
    response = await auth_client.patch(f"/documents/{document.id}", json={"title": "Edited"})
    assert response.status_code == 200
    await db_session.refresh(document)
    assert_audit_trail(document, created_by=admin_user.email, updated_by="user@example.com")
    assert_timestamps_updated(document, before)


async def test_builders_make_request_bodies(admin_client: httpx.AsyncClient, auth_client: httpx.AsyncClient) -> None:
    body = UserBuilder().with_email("ann@example.com").with_name("Ann").build()
    assert (await admin_client.post("/users", json=body.model_dump())).status_code == 201
    assert_problem_detail(await admin_client.post("/users", json=body.model_dump()), status=409)
    document = DocumentBuilder().with_title("Built").build()
    assert (await auth_client.post("/documents", json=document.model_dump())).json()["title"] == "Built"
