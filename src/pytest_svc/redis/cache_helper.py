"""The ``cache_helper`` fixture: read and write the test's Redis as a cache does (``CacheTestHelper``).

Reading Redis needs the event loop, so every method is awaited. ``await assert_cached(...)``
(:mod:`pytest_svc.assertions.cache`) checks a cached entry.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import redis.asyncio

_SCAN_COUNT = 500


class CacheTestHelper:
    """Read and write the test's Redis as a cache does: text and JSON values, TTLs, keys by pattern.

    Values come back as ``str`` whatever ``svc_redis_decode_responses`` says (UTF-8; use ``.redis`` for binary
    values). ``keys()`` uses SCAN, never KEYS.
    """

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self.redis = client

    @staticmethod
    def as_text(value: str | bytes) -> str:
        """A Redis value or key as text (UTF-8), whatever the client's ``decode_responses`` is."""
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str | bytes | int | float, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl`` seconds (fractions allowed) when given."""
        await self.redis.set(key, value, px=None if ttl is None else max(1, round(ttl * 1000)))

    async def get(self, key: str) -> str | None:
        """The value of ``key`` as text, or None when it is not set."""
        value = await self.redis.get(key)
        return None if value is None else self.as_text(value)

    async def set_json(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` as JSON under ``key`` (``ttl`` as in ``set``)."""
        await self.set(key, json.dumps(value), ttl=ttl)

    async def get_json(self, key: str, default: Any = None) -> Any:
        """The JSON value of ``key`` decoded, or ``default`` when it is not set."""
        value = await self.get(key)
        return default if value is None else json.loads(value)

    async def exists(self, key: str) -> bool:
        """Whether ``key`` is set."""
        return bool(await self.redis.exists(key))

    async def ttl(self, key: str) -> float | None:
        """Seconds until ``key`` expires (millisecond precision), or None when it never does.

        A key that is not set raises ``KeyError`` (Redis's -2 would compare as a short TTL).
        """
        millis = int(await self.redis.pttl(key))
        if millis == -2:
            raise KeyError(f"{key!r} is not set in Redis")
        return None if millis < 0 else millis / 1000

    async def keys(self, pattern: str = "*") -> list[str]:
        """The keys matching the glob ``pattern``, sorted (SCAN: safe on a large database)."""
        found = {self.as_text(key) async for key in self.redis.scan_iter(match=pattern, count=_SCAN_COUNT)}
        return sorted(found)

    async def delete(self, *keys: str) -> int:
        """Delete ``keys``; returns how many existed."""
        return int(await self.redis.delete(*keys)) if keys else 0

    async def delete_pattern(self, pattern: str) -> int:
        """Delete the keys matching the glob ``pattern`` (as cache invalidation by prefix does); returns how many."""
        return await self.delete(*await self.keys(pattern))


@pytest.fixture
def cache_helper(mock_redis: redis.asyncio.Redis) -> CacheTestHelper:
    """A :class:`CacheTestHelper` over ``mock_redis``: ``await cache_helper.get_json("user:1")``, ``.ttl()``, ...

    set/get (text), set_json/get_json, exists, ttl (seconds, None without expiry), keys(pattern) by SCAN,
    delete, delete_pattern. Pass it (or ``mock_redis``) to ``await assert_cached(...)``.
    """
    return CacheTestHelper(mock_redis)
