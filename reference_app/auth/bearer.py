"""Bearer-token authentication: ``Authorization: Bearer <token>`` resolved to the principal stored in Redis.

Tests replace :func:`authenticate` wholesale through ``app.dependency_overrides``, so everything after it
(:mod:`reference_app.auth.guards`) reads the caller only through the
:class:`~reference_app.auth.principal.PrincipalLike` attributes.
"""

from __future__ import annotations

import json

from fastapi import HTTPException, Request

from reference_app.auth.principal import Principal
from reference_app.redis_client import RedisClient

TOKEN_KEY = "auth:token:{token}"


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


async def authenticate(request: Request, redis: RedisClient) -> Principal:
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
