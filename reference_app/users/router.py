"""The ``/users`` API: profiles and preferences of the callers, and user administration for admins.

Profiles are cached (``GET /users/me`` per caller, ``GET /users/{id}``); the writes below invalidate both tags of the
profile they change: ``principal:<caller id>`` and ``user:<user id>``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from reference_app.auth import PrincipalLike, get_current_user
from reference_app.cache import CacheManager, cache_key
from reference_app.dependencies import Cache, CurrentUser, DbSession, RequireAdmin
from reference_app.pagination import OffsetPageRead, PageLimit, PageOffset
from reference_app.repository import BaseRepository
from reference_app.users.models import User
from reference_app.users.schemas import Preferences, UserCreate, UserRead, UserUpdate

users = BaseRepository(User)
router = APIRouter(prefix="/users", tags=["users"], dependencies=[Depends(get_current_user)])


async def _me(session: AsyncSession, principal: CurrentUser) -> User:
    # The profile is made on the caller's first visit: the identity lives in the auth service, not here.
    found = await users.list(session, filters={"email": principal.email}, limit=1)
    if found:
        return found[0]
    return await users.create(session, User(email=principal.email, name=principal.email.partition("@")[0]))


def principal_tag(principal: PrincipalLike) -> str:
    """The cache tag of the caller's own view of their profile (``/users/me``)."""
    return cache_key("principal", principal.id)


def user_tag(user_id: uuid.UUID) -> str:
    """The cache tag of user ``user_id``'s profile."""
    return cache_key("user", user_id)


async def _profile_written(cache: CacheManager, principal: PrincipalLike, me: User) -> None:
    # After the commit; preferences count too: the cached profile carries updated_at.
    await cache.invalidate_tags([principal_tag(principal), user_tag(me.id)])


@router.get("/me")
async def read_me(session: DbSession, principal: CurrentUser, cache: Cache) -> UserRead:
    """The caller's profile (created on first visit); cached until they change it."""

    async def fetch() -> UserRead:
        me = await _me(session, principal)
        await session.commit()
        return UserRead.model_validate(me)

    # Keyed by the caller's id rather than their email: no personal data in Redis key names.
    key = cache_key("users", "me", principal.id)
    return await cache.get_or_fetch(key, fetch, UserRead, tags=[principal_tag(principal)])


@router.patch("/me")
async def update_me(data: UserUpdate, session: DbSession, principal: CurrentUser, cache: Cache) -> UserRead:
    """Change the caller's name, bio or locale."""
    me = await users.update(session, await _me(session, principal), **data.model_dump(exclude_unset=True))
    await session.commit()
    await _profile_written(cache, principal, me)
    return UserRead.model_validate(me)


@router.get("/me/preferences")
async def read_preferences(session: DbSession, principal: CurrentUser) -> dict[str, Any]:
    """The caller's preferences."""
    me = await _me(session, principal)
    await session.commit()
    return dict(me.preferences)


@router.put("/me/preferences")
async def replace_preferences(
    data: Preferences, session: DbSession, principal: CurrentUser, cache: Cache
) -> dict[str, Any]:
    """Replace the caller's preferences with the given object."""
    me = await users.update(session, await _me(session, principal), preferences=data)
    await session.commit()
    await _profile_written(cache, principal, me)
    return dict(me.preferences)


@router.post("", status_code=201, dependencies=[RequireAdmin])
async def create_user(data: UserCreate, session: DbSession) -> UserRead:
    """Register a user; an email already taken is a 409. Admins only."""
    user = await users.create(session, User(**data.model_dump()))
    await session.commit()
    return UserRead.model_validate(user)


@router.get("", dependencies=[RequireAdmin])
async def list_users(session: DbSession, limit: PageLimit = 50, offset: PageOffset = 0) -> OffsetPageRead[UserRead]:
    """Users by email, one page at a time. Admins only."""
    page = await users.paginate_offset(session, limit, offset, order_by="email")
    return OffsetPageRead(
        items=[UserRead.model_validate(u) for u in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get("/{user_id}", dependencies=[RequireAdmin])
async def read_user(user_id: uuid.UUID, session: DbSession, cache: Cache) -> UserRead:
    """One user, or 404; cached until the user changes their profile. Admins only."""

    async def fetch() -> UserRead:
        return UserRead.model_validate(await users.get_or_raise(session, user_id))

    return await cache.get_or_fetch(cache_key("users", user_id), fetch, UserRead, tags=[user_tag(user_id)])
