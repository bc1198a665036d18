"""The process-wide side of the cache: settings, metrics, loads in flight, write-behind queue, refreshes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from reference_app.cache.keys import KeySpace
from reference_app.cache.metrics import CacheMetrics
from reference_app.cache.single_flight import SingleFlight
from reference_app.cache.write_behind import WriteBehindQueue
from reference_app.settings import CacheSettings

log = logging.getLogger("reference_app.cache")


class CacheRuntime:
    """What every :class:`~reference_app.cache.CacheManager` of a process shares, whichever Redis client it uses.

    ``default_ttl`` (seconds) applies when a call gives none; ``refresh_ahead`` is the fraction of an entry's TTL
    after which :meth:`~reference_app.cache.CacheManager.get_with_refresh` reloads it in the background;
    ``enabled=False`` makes every manager a pass-through to the source (invalidations still run, so entries
    are not stale when it is switched back on). A Redis command taking longer than ``command_timeout`` seconds
    counts as an outage. :meth:`close` flushes the write-behind queue and waits for the refreshes under way: the
    app calls it on shutdown.
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        default_ttl: float = 300,
        namespace: str = "cache",
        refresh_ahead: float = 0.8,
        write_behind_interval: float = 1.0,
        write_behind_max_pending: int = 1000,
        command_timeout: float | None = 1.0,
    ) -> None:
        if not 0 < refresh_ahead < 1:
            raise ValueError(f"refresh_ahead is a fraction of the TTL, between 0 and 1 (exclusive): {refresh_ahead}")
        self.enabled = enabled
        self.default_ttl = default_ttl
        self.refresh_ahead = refresh_ahead
        self.command_timeout = command_timeout
        self.keys = KeySpace(namespace)
        self.metrics = CacheMetrics()
        self.flights: SingleFlight[tuple[object, str | bytes]] = SingleFlight()
        self.write_behind = WriteBehindQueue(
            self.metrics, interval=write_behind_interval, max_pending=write_behind_max_pending
        )
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._redis_up = True

    @classmethod
    def from_settings(cls, settings: CacheSettings) -> CacheRuntime:
        """A runtime configured by ``APP_CACHE__*``."""
        return cls(
            enabled=settings.enabled,
            default_ttl=settings.default_ttl,
            namespace=settings.namespace,
            refresh_ahead=settings.refresh_ahead,
            write_behind_interval=settings.write_behind_interval,
            command_timeout=settings.command_timeout,
        )

    def ttl_ms(self, ttl: float | None) -> int:
        """``ttl`` seconds (the default when ``None``) in milliseconds, at least 1."""
        return max(1, round((self.default_ttl if ttl is None else ttl) * 1000))

    def redis_failed(self, operation: str, exc: BaseException) -> None:
        """Count a failed Redis command; log the first of an outage as a warning, the rest at debug level."""
        self.metrics.errors += 1
        if self._redis_up:
            self._redis_up = False
            log.warning("cache: Redis %s failed (%r); reading from the source until Redis answers", operation, exc)
        else:
            log.debug("cache: Redis %s failed (%r)", operation, exc)

    def redis_answered(self) -> None:
        """Note a Redis command that worked; logs the end of an outage."""
        if not self._redis_up:
            self._redis_up = True
            log.info("cache: Redis answers again; caching resumed")

    def refresh_in_background(self, key: str, refresh: Callable[[], Awaitable[None]]) -> None:
        """Start ``refresh()`` for ``key`` unless one is under way; its failure is logged and counted."""
        if key not in self._refreshing:
            self._refreshing[key] = asyncio.get_running_loop().create_task(self._refresh(key, refresh))

    async def _refresh(self, key: str, refresh: Callable[[], Awaitable[None]]) -> None:
        try:
            await refresh()
        except Exception:
            self.metrics.refresh_errors += 1
            log.warning("cache: refreshing %r failed; the current entry serves until it expires", key, exc_info=True)
        else:
            self.metrics.refreshes += 1
        finally:
            del self._refreshing[key]

    async def flush(self) -> None:
        """Wait for the refreshes under way, then persist every queued write-behind write."""
        while self._refreshing:
            await asyncio.wait(list(self._refreshing.values()))
        await self.write_behind.flush()

    async def close(self) -> None:
        """Wait for the refreshes under way and flush the write-behind queue for good (see ``WriteBehindQueue``)."""
        while self._refreshing:
            await asyncio.wait(list(self._refreshing.values()))
        await self.write_behind.close()
