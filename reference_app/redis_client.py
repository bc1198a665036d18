"""The lazily created Redis client and its FastAPI dependency."""

from __future__ import annotations

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


async def close_redis() -> None:
    """Close the client and its pool, if a client was ever created."""
    global _redis
    if _redis is not None:
        await _redis.aclose()
    _redis = None
