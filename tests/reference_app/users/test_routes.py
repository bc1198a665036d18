"""The /users API: the caller's profile and preferences, and user administration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pytest_svc import MakeClient, MakeUser, assert_audit_trail, assert_paginated, assert_problem_detail
from reference_app.users.models import User

pytestmark = pytest.mark.asyncio


async def test_profile_is_made_on_first_visit(auth_client: httpx.AsyncClient, current_user: Any) -> None:
    first = await auth_client.get("/users/me")
    second = await auth_client.get("/users/me")
    assert first.status_code == 200
    assert first.json()["email"] == current_user.email
    assert first.json()["created_by"] == current_user.email
    assert second.json()["id"] == first.json()["id"]


async def test_profile_update_is_audited(
    auth_client: httpx.AsyncClient, db_session: AsyncSession, current_user: Any
) -> None:
    response = await auth_client.patch("/users/me", json={"name": "Ann", "bio": "Writes docs", "locale": "en-GB"})
    assert response.status_code == 200
    user = (await db_session.execute(select(User).where(User.email == current_user.email))).scalar_one()
    assert (user.name, user.bio, user.locale) == ("Ann", "Writes docs", "en-GB")
    assert_audit_trail(user, created_by=current_user.email, updated_by=current_user.email)


async def test_preferences_round_trip(auth_client: httpx.AsyncClient) -> None:
    assert (await auth_client.get("/users/me/preferences")).json() == {}
    wanted = {"theme": "dark", "page_size": 25, "beta": True}
    assert (await auth_client.put("/users/me/preferences", json=wanted)).json() == wanted
    assert (await auth_client.get("/users/me/preferences")).json() == wanted


async def test_admin_creates_users_and_a_taken_email_is_a_409(admin_client: httpx.AsyncClient) -> None:
    body = {"email": "new@example.com", "name": "New"}
    created = await admin_client.post("/users", json=body)
    assert created.status_code == 201
    duplicate = await admin_client.post("/users", json=body)
    assert_problem_detail(duplicate, status=409, title="Conflict")
    assert "new@example.com" not in duplicate.text  # the constraint and values stay in the log
    # The failed insert rolled back only its own savepoint: the first user is still there.
    assert (await admin_client.get(f"/users/{created.json()['id']}")).json()["email"] == "new@example.com"


async def test_user_administration_needs_the_admin_role(auth_client: httpx.AsyncClient) -> None:
    assert_problem_detail(await auth_client.post("/users", json={"email": "x@example.com", "name": "X"}), status=403)
    assert_problem_detail(await auth_client.get("/users"), status=403)


async def test_unknown_user_is_a_404_and_a_bad_id_a_422(admin_client: httpx.AsyncClient) -> None:
    assert_problem_detail(await admin_client.get("/users/0190a1c4-0000-7000-8000-000000000000"), status=404)
    assert_problem_detail(await admin_client.get("/users/not-a-uuid"), status=422)


async def test_users_are_listed_by_email(
    admin_client: httpx.AsyncClient, make_user: MakeUser, make_client: MakeClient
) -> None:
    for name in ("carol", "alice", "bob"):
        await make_client(make_user(email=f"{name}@example.com")).get("/users/me")
    page = assert_paginated(await admin_client.get("/users", params={"limit": 2}), total=3, limit=2, offset=0)
    assert [u["email"] for u in page["items"]] == ["alice@example.com", "bob@example.com"]
