"""Invalidation by key, by pattern (``SCAN``, never ``KEYS``) and by tag; tag sets live as long as their entries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis

from reference_app.cache import CacheManager, invalidate_cache, invalidate_pattern, invalidate_tags, use_cache

pytestmark = pytest.mark.asyncio


async def test_invalidate_cache_deletes_one_entry(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    await cache.set_many({"a": 1, "b": 2})

    with use_cache(cache):
        assert await invalidate_cache("a") == 1
        assert await invalidate_cache("a") == 0

    assert await cache.get_many(["a", "b"], int) == {"b": 2}
    assert cache.metrics.invalidated == 1


async def test_pattern_invalidation_walks_with_scan_and_spares_other_keys(
    mock_redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = CacheManager(mock_redis)
    await cache.set_many({f"user:{n}": n for n in range(1200)})
    await cache.set_many({"users": 0, "document:1": 1}, tags=["user:1"])
    await mock_redis.set("user:1", "outside the cache namespace")
    scans: list[Any] = []
    real_scan = mock_redis.scan

    async def counting_scan(*args: Any, **kwargs: Any) -> Any:
        scans.append(kwargs.get("match"))
        return await real_scan(*args, **kwargs)

    async def no_keys(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("KEYS blocks Redis for the whole keyspace walk; use SCAN")

    monkeypatch.setattr(mock_redis, "scan", counting_scan)
    monkeypatch.setattr(mock_redis, "keys", no_keys)

    with use_cache(cache):
        assert await invalidate_pattern("user:*") == 1200

    assert len(scans) > 1  # the walk is incremental
    assert set(scans) == {"cache:user:*"}
    monkeypatch.undo()
    assert await mock_redis.keys("cache:user:*") == []
    assert await cache.get_many(["users", "document:1"], int) == {"users": 0, "document:1": 1}
    assert await mock_redis.get("user:1") == "outside the cache namespace"
    # Tag bookkeeping lives outside the entries' namespace: even "*" cannot break tag invalidation.
    await cache.invalidate_pattern("*")
    assert await mock_redis.exists("cache-tag:user:1") == 1


async def test_invalidate_tags_deletes_the_entries_of_any_tag_and_their_sets(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    await cache.set_many({"doc:1": 1, "doc:1:html": 1}, tags=["document:1"])
    await cache.set("page:1", [1, 2], tags=["document:1", "document:2", "pages"])
    await cache.set("doc:2", 2, tags=["document:2"])
    await cache.set("doc:3", 3, tags=["document:3"])

    with use_cache(cache):
        assert await invalidate_tags(["document:1", "document:2"]) == 4

    assert await cache.get_many(["doc:1", "doc:1:html", "page:1", "doc:2", "doc:3"], Any) == {"doc:3": 3}
    assert await mock_redis.exists("cache-tag:document:1", "cache-tag:document:2") == 0
    assert await mock_redis.smembers("cache-tag:pages") == {"cache:page:1"}  # harmless: a member long gone
    assert await cache.invalidate_tags([]) == 0


async def test_a_tag_set_lives_as_long_as_its_longest_lived_entry(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)

    await cache.set("a", 1, ttl=60, tags=["t"])
    assert 59_000 < await mock_redis.pttl("cache-tag:t") <= 60_000
    await cache.set("b", 1, ttl=120, tags=["t"])
    assert 119_000 < await mock_redis.pttl("cache-tag:t") <= 120_000
    await cache.set("c", 1, ttl=10, tags=["t"])  # a shorter entry must not shorten the set
    assert 119_000 < await mock_redis.pttl("cache-tag:t") <= 120_000
    assert await mock_redis.smembers("cache-tag:t") == {"cache:a", "cache:b", "cache:c"}


async def test_tag_sets_expire_with_their_entries(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    await cache.set("a", 1, ttl=0.05, tags=["t", "u"])
    await cache.set("b", 1, ttl=0.1, tags=["t"])

    await asyncio.sleep(0.15)

    assert await mock_redis.exists("cache:a", "cache:b", "cache-tag:t", "cache-tag:u") == 0


async def test_a_load_racing_a_write_does_not_put_the_old_value_back(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    source = {"title": "old"}

    async def read_then_concurrent_write() -> dict[str, str]:
        row = dict(source)  # the read sees the row before the write commits...
        source["title"] = "new"  # ...then the write commits and invalidates the tag
        await cache.invalidate_tags(["document:1"])
        return row

    async def read() -> dict[str, str]:
        return dict(source)

    first = await cache.get_or_fetch("doc:1", read_then_concurrent_write, dict[str, str], tags=["document:1"])
    second = await cache.get_or_fetch("doc:1", read, dict[str, str], tags=["document:1"])

    assert first == {"title": "old"}  # what the reader saw, but not cached:
    assert second == {"title": "new"}
    assert cache.metrics.stale_stores_skipped == 1
    assert await cache.get("doc:1", dict[str, str]) == {"title": "new"}
