"""Bearer-token authentication, the current principal, and role checks.

Tests replace :func:`authenticate` wholesale through ``app.dependency_overrides``, so everything after it
reads the caller only through the :class:`~reference_app.principal.PrincipalLike` attributes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from redis.asyncio import Redis

from reference_app.principal import Principal, PrincipalLike
from reference_app.redis_client import get_redis

TOKEN_KEY = "auth:token:{token}"

current_principal: ContextVar[PrincipalLike | None] = ContextVar("current_principal", default=None)
"""The caller of the request being handled; set by :func:`get_current_user`, read by audit code."""


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _principal_from_json(raw: str | bytes) -> Principal:
    data = json.loads(raw)
    return Principal(
        id=str(data["id"]),
        email=str(data["email"]),
        roles=tuple(data.get("roles", ())),
        permissions=tuple(data.get("permissions", ())),
        tenant_id=data.get("tenant_id"),
    )


async def authenticate(request: Request, redis: Annotated[Redis, Depends(get_redis)]) -> Principal:
    """Resolve ``Authorization: Bearer <token>`` to the principal stored at ``auth:token:<token>``.

    Raises 401 with ``WWW-Authenticate: Bearer`` when the header is missing or the token is unknown.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Missing bearer token.")
    raw = await redis.get(TOKEN_KEY.format(token=token.strip()))
    if raw is None:
        raise _unauthorized("Unknown or expired token.")
    try:
        return _principal_from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        # A corrupt session record must not become a 500 that leaks its content.
        raise _unauthorized("Invalid token.") from exc


async def get_current_user(principal: Annotated[PrincipalLike, Depends(authenticate)]) -> PrincipalLike:
    """The authenticated caller; also published in :data:`current_principal` for audit fields."""
    # Async on purpose: a sync dependency runs in a thread and its ContextVar write would not reach
    # the endpoint.
    current_principal.set(principal)
    return principal


def require_role(role: str) -> Callable[[PrincipalLike], Awaitable[PrincipalLike]]:
    """Dependency factory: the current user if they have ``role``, else 403."""

    async def dependency(principal: Annotated[PrincipalLike, Depends(get_current_user)]) -> PrincipalLike:
        if role not in principal.roles:
            raise HTTPException(403, detail=f"Requires role {role!r}.")
        return principal

    return dependency


def audit_actor() -> str | None:
    """The email to record in ``created_by``/``updated_by``: the current principal's, if any."""
    principal = current_principal.get()
    return principal.email if principal is not None else None
