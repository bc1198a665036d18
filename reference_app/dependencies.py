"""The parameters routes share, as ``Annotated`` types: the request's session, Redis, cache and caller.

``async def read(session: DbSession, principal: CurrentUser, cache: Cache) -> ...``; ``dependencies=[RequireAdmin]``
for routes only admins may call. Features import these; the infrastructure they come from never imports features.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from reference_app.auth import PrincipalLike, get_current_user, require_role
from reference_app.cache import CacheManager, get_cache
from reference_app.db import get_db_session
from reference_app.redis_client import RedisClient

DbSession = Annotated[AsyncSession, Depends(get_db_session)]
"""The request's database session; routes commit explicitly."""

CurrentUser = Annotated[PrincipalLike, Depends(get_current_user)]
"""The authenticated caller (401 without a valid token), also the audit actor of the request's writes."""

Cache = Annotated[CacheManager, Depends(get_cache)]
"""The request's cache, made current for ``@cached`` functions and the ``invalidate_*`` helpers."""

RequireAdmin = Depends(require_role("admin"))
"""A route dependency: 403 unless the caller has the ``admin`` role."""

__all__ = ["Cache", "CurrentUser", "DbSession", "RedisClient", "RequireAdmin"]
