"""The lazily created Redis client, its FastAPI dependency and the ``RedisClient`` parameter type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis

from reference_app.settings import get_settings

# Created on first use; ``from_url`` does not connect, the first command does.
_redis: Redis | None = None


def get_redis() -> Redis:
    """FastAPI dependency: the process-wide Redis client (``decode_responses=True``)."""
    global _redis
    if _redis is None:
        _redis = Redis.from_url(get_settings().redis.url, decode_responses=True)
    return _redis


RedisClient = Annotated[Redis, Depends(get_redis)]
"""A parameter of the process's Redis client (or what replaces ``get_redis`` in the app's dependency overrides)."""


async def close_redis() -> None:
    """Close the client and its pool, if a client was ever created."""
    global _redis
    if _redis is not None:
        await _redis.aclose()
    _redis = None
