"""``CacheManager``: cache-aside, write-through, write-behind and refresh-ahead over one Redis client.

Every Redis command goes through :meth:`CacheManager._redis_call`: when Redis fails (refusing, erroring, or
silent past the runtime's ``command_timeout``), the command counts in ``metrics.errors``, is logged, and the
operation carries on without the cache: reads go to the source, stores and invalidations are skipped. A cache
outage never fails a request, nor holds it longer than the timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from reference_app.cache import tags as tag_sets
from reference_app.cache.codec import adapter_for, encode
from reference_app.cache.runtime import CacheRuntime, log

T = TypeVar("T")
R = TypeVar("R")

SCAN_COUNT = 500
_UNAVAILABLE: Any = object()  # what a failed Redis command returns through _redis_call
_MISS: Any = object()  # what _decode returns for an entry that does not validate (None may be a cached value)


class CacheManager:
    """The cache API over ``redis``, sharing ``runtime`` (metrics, single-flight, write-behind) with others.

    ``CacheManager(redis)`` makes its own :class:`CacheRuntime`; in the app, ``Depends(get_cache)`` gives one over
    the request's Redis client and the process's runtime. Keys are the caller's (``cache_key(...)``); they are
    stored under the runtime's namespace. Reads take ``as_type`` (``DocumentRead``, ``list[int]``, a
    ``TypeAdapter``) and return values of that type, validated from the stored JSON. ``ttl`` is in seconds
    (default: the runtime's ``default_ttl``). ``tags`` name groups of entries that :meth:`invalidate_tags` drops
    together.
    """

    def __init__(self, redis: Redis, runtime: CacheRuntime | None = None) -> None:
        self.redis = redis
        self.runtime = runtime if runtime is not None else CacheRuntime()
        self.keys = self.runtime.keys
        self.metrics = self.runtime.metrics

    # -- plumbing -------------------------------------------------------------------------------------------

    async def _redis_call(self, operation: str, command: Callable[[], Awaitable[R]], *, timed: bool = True) -> R:
        """``await command()``, or ``_UNAVAILABLE`` if Redis failed or timed out (counted and logged)."""
        try:
            # A Redis that stops answering (a network partition drops packets, nothing refuses) would otherwise
            # hold every request; redis-py drops a connection whose command was cancelled.
            async with asyncio.timeout(self.runtime.command_timeout if timed else None):
                result = await command()
        except (RedisError, OSError) as exc:  # OSError includes TimeoutError
            self.runtime.redis_failed(operation, exc)
            return _UNAVAILABLE  # type: ignore[no-any-return]
        self.runtime.redis_answered()
        return result

    def _decode(self, key: str, raw: str | bytes, adapter: TypeAdapter[T]) -> T:
        """The entry's value, or ``_MISS`` if it does not validate."""
        try:
            return adapter.validate_json(raw)
        except ValidationError:
            # Written by an older release, or by hand: a miss, not an error for the caller.
            self.metrics.decode_errors += 1
            log.warning("cache: entry %r does not validate; reading the source", key, exc_info=True)
            return _MISS  # type: ignore[no-any-return]

    async def _store(
        self,
        entries: Mapping[str, str],
        ttl: float | None,
        tags: Sequence[str],
        generations: tag_sets.Generations | None = None,
    ) -> None:
        stored = await self._redis_call(
            "store",
            lambda: tag_sets.store(self.redis, self.keys, entries, self.runtime.ttl_ms(ttl), tags, generations),
        )
        if stored is True:
            self.metrics.stores += len(entries)
        elif stored is False:
            self.metrics.stale_stores_skipped += len(entries)

    # -- reads and writes -----------------------------------------------------------------------------------

    async def get(self, key: str, as_type: type[T] | TypeAdapter[T]) -> T | None:
        """The entry ``key`` as ``as_type``, or ``None`` on a miss (or while Redis is unavailable)."""
        return (await self.get_many([key], as_type)).get(key)

    async def set(self, key: str, value: object, *, ttl: float | None = None, tags: Iterable[str] = ()) -> None:
        """Store ``value`` (as JSON) at ``key`` for ``ttl`` seconds, in the sets of ``tags``."""
        await self.set_many({key: value}, ttl=ttl, tags=tags)

    async def get_many(self, keys: Iterable[str], as_type: type[T] | TypeAdapter[T]) -> dict[str, T]:
        """The entries of ``keys`` that are cached, by key, in one round trip (``MGET``); misses are absent."""
        keys = list(dict.fromkeys(keys))
        if not keys or not self.runtime.enabled:
            return {}
        adapter = adapter_for(as_type)
        raws = await self._redis_call("get", lambda: self.redis.mget([self.keys.entry(key) for key in keys]))
        if raws is _UNAVAILABLE:
            self.metrics.misses += len(keys)
            return {}
        found: dict[str, T] = {}
        for key, raw in zip(keys, raws, strict=True):
            value = _MISS if raw is None else self._decode(key, raw, adapter)
            if value is _MISS:
                self.metrics.misses += 1
            else:
                self.metrics.hits += 1
                found[key] = value
        return found

    async def set_many(
        self, items: Mapping[str, object], *, ttl: float | None = None, tags: Iterable[str] = ()
    ) -> None:
        """Store every ``key: value`` of ``items`` with one ``ttl`` and ``tags``, in one round trip (one script)."""
        if items and self.runtime.enabled:
            await self._store({self.keys.entry(key): encode(value) for key, value in items.items()}, ttl, list(tags))

    # -- invalidation ---------------------------------------------------------------------------------------

    async def _invalidate(self, what: str, command: Callable[[], Awaitable[int]], *, timed: bool = True) -> int:
        # Even when disabled: entries cached before the cache was switched off must not be stale when it is back.
        deleted = await self._redis_call("invalidate", command, timed=timed)
        if deleted is _UNAVAILABLE:
            self.metrics.invalidation_errors += 1
            log.error("cache: could not invalidate %s; those entries may be stale until their TTL ends", what)
            return 0
        self.metrics.invalidated += deleted
        return deleted

    async def invalidate(self, key: str) -> int:
        """Delete the entry ``key``; return 1 if it existed, else 0."""
        return await self._invalidate(repr(key), lambda: self.redis.unlink(self.keys.entry(key)))

    async def invalidate_pattern(self, pattern: str) -> int:
        """Delete the entries whose keys match the glob ``pattern`` (``"user:*"``); return how many.

        Walks the keyspace with ``SCAN`` (``KEYS`` would block Redis for the whole walk) and deletes each batch
        with ``UNLINK``. Keys written during the walk may or may not be deleted.
        """

        async def scan_and_unlink() -> int:
            deleted = 0
            batch: list[str] = []
            async for key in self.redis.scan_iter(match=self.keys.pattern(pattern), count=SCAN_COUNT):
                batch.append(key)
                if len(batch) >= SCAN_COUNT:
                    deleted += await self.redis.unlink(*batch)
                    batch.clear()
            if batch:
                deleted += await self.redis.unlink(*batch)
            return deleted

        # Not timed: a walk of a large keyspace takes many commands (each bounded by the client's socket_timeout).
        return await self._invalidate(f"pattern {pattern!r}", scan_and_unlink, timed=False)

    async def invalidate_tags(self, tags: Iterable[str]) -> int:
        """Delete every entry stored with any of ``tags``; return how many (see ``reference_app.cache.tags``)."""
        tags = list(dict.fromkeys(tags))
        return await self._invalidate(f"tags {tags!r}", lambda: tag_sets.invalidate(self.redis, self.keys, tags))

    # -- strategies -----------------------------------------------------------------------------------------

    async def _fetch_and_store(
        self,
        key: str,
        fetch: Callable[[], Awaitable[T]],
        ttl: float | None,
        tags: Sequence[str],
        generations: tag_sets.Generations | None,
    ) -> tuple[T, str | bytes]:
        # generations is None when Redis could not be read: then nothing is stored either.
        value = await fetch()
        raw = encode(value)
        if generations is not None:
            await self._store({self.keys.entry(key): raw}, ttl, tags, generations)
        return value, raw

    async def _read_or_load(
        self, key: str, fetch: Callable[[], Awaitable[T]], adapter: TypeAdapter[T], ttl: float | None, tags: list[str]
    ) -> tuple[T, str | bytes]:
        # One MGET reads the entry and, for a miss, the generations its store will be checked against.
        replies = await self._redis_call(
            "get",
            lambda: self.redis.mget([self.keys.entry(key), *(self.keys.generation(tag) for tag in tags)]),
        )
        if replies is _UNAVAILABLE:
            self.metrics.misses += 1
            return await self._fetch_and_store(key, fetch, ttl, tags, None)
        raw, *generations = replies
        if raw is not None:
            value = self._decode(key, raw, adapter)
            if value is not _MISS:
                self.metrics.hits += 1
                return value, raw
        self.metrics.misses += 1
        return await self._fetch_and_store(key, fetch, ttl, tags, tuple(token or "" for token in generations))

    async def get_or_fetch(
        self,
        key: str,
        fetch: Callable[[], Awaitable[T]],
        as_type: type[T] | TypeAdapter[T],
        *,
        ttl: float | None = None,
        tags: Iterable[str] = (),
    ) -> T:
        """Cache-aside: the entry ``key`` if cached, else ``await fetch()``, stored for next time.

        Single-flight: concurrent calls for one key in this process share one Redis read and at most one
        ``fetch()``; the caller that did the work gets its value, the others a copy decoded from the same JSON.
        A ``fetch()`` exception reaches every caller waiting on it, and nothing is stored.
        """
        if not self.runtime.enabled:
            return await fetch()
        adapter = adapter_for(as_type)
        tags = list(tags)
        (value, raw), led = await self.runtime.flights.run(
            self.keys.entry(key), lambda: self._read_or_load(key, fetch, adapter, ttl, tags)
        )
        if led:
            return value  # type: ignore[return-value]  # fetch()'s value or the adapter's: a T either way
        self.metrics.coalesced += 1
        return adapter.validate_json(raw)

    async def set_write_through(
        self,
        key: str,
        value: T,
        write: Callable[[T], Awaitable[object]],
        *,
        ttl: float | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        """Write-through: ``await write(value)`` to the source, then cache ``value``; a failed write caches nothing."""
        await write(value)
        await self.set(key, value, ttl=ttl, tags=tags)

    async def set_write_behind(
        self,
        key: str,
        value: T,
        write: Callable[[T], Awaitable[object]],
        *,
        ttl: float | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        """Write-behind: cache ``value`` now; ``write(value)`` runs later, from the runtime's write-behind queue.

        Writes of one key coalesce (the latest wins), are flushed every ``write_behind_interval`` seconds and on
        :meth:`flush` / :meth:`close` (the app's shutdown). ``write`` runs after the request has ended: it must
        not use the request's database session. Until it runs, the source is behind the cache.
        """
        await self.set(key, value, ttl=ttl, tags=tags)
        await self.runtime.write_behind.enqueue(self.keys.entry(key), value, write)

    async def get_with_refresh(
        self,
        key: str,
        fetch: Callable[[], Awaitable[T]],
        as_type: type[T] | TypeAdapter[T],
        *,
        ttl: float | None = None,
        tags: Iterable[str] = (),
        refresh_ahead: float | None = None,
    ) -> T:
        """Refresh-ahead: like :meth:`get_or_fetch`, and once ``refresh_ahead`` of the TTL has passed (the
        runtime's fraction by default), a hit also starts a background reload, so hot keys never expire.

        An entry's age is read from Redis itself (its remaining ``PTTL``, in the same round trip as the value),
        so every process agrees on it. The background ``fetch()`` runs after this call returns: it must not
        use request-scoped resources such as the request's database session.
        """
        if not self.runtime.enabled:
            return await fetch()
        adapter = adapter_for(as_type)
        tags = list(tags)
        entry = self.keys.entry(key)

        async def read() -> tuple[str | bytes | None, int]:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(entry)
                pipe.pttl(entry)
                raw, remaining_ms = await pipe.execute()
            return raw, remaining_ms

        found = await self._redis_call("read", read)
        if found is _UNAVAILABLE:
            self.metrics.misses += 1
            return await fetch()  # not get_or_fetch: it would wait on the same unavailable Redis again
        raw, remaining_ms = found
        if raw is not None:
            value = self._decode(key, raw, adapter)
            if value is not _MISS:
                self.metrics.hits += 1
                fraction = self.runtime.refresh_ahead if refresh_ahead is None else refresh_ahead
                if 0 <= remaining_ms <= self.runtime.ttl_ms(ttl) * (1 - fraction):

                    async def refresh() -> None:
                        generations = await self._redis_call(
                            "get", lambda: tag_sets.read_generations(self.redis, self.keys, tags)
                        )
                        await self._fetch_and_store(
                            key, fetch, ttl, tags, None if generations is _UNAVAILABLE else generations
                        )

                    self.runtime.refresh_in_background(entry, refresh)
                return value
        return await self.get_or_fetch(key, fetch, as_type, ttl=ttl, tags=tags)

    # -- lifecycle ------------------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Wait for background refreshes and persist every queued write-behind write now."""
        await self.runtime.flush()

    async def close(self) -> None:
        """Flush for good: background work stops, and later write-behind writes go straight to the source."""
        await self.runtime.close()
