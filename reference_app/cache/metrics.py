"""Counters of what the cache did, for dashboards and tests."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class CacheMetrics:
    """Plain counters, one set per :class:`~reference_app.cache.CacheRuntime` (one per process in the app).

    They only ever grow; read them as deltas or rates. ``hit_ratio`` is hits over lookups so far.
    """

    hits: int = 0
    """Reads answered from Redis."""
    misses: int = 0
    """Reads that went to the source (absent, undecodable, or Redis unavailable)."""
    coalesced: int = 0
    """Reads that waited for a load of the same key already under way in this process (single-flight)."""
    stores: int = 0
    """Entries written."""
    stale_stores_skipped: int = 0
    """Loads not stored because one of their tags was invalidated while the source was read."""
    invalidated: int = 0
    """Entries deleted by ``invalidate_cache``, ``invalidate_pattern`` or ``invalidate_tags``."""
    errors: int = 0
    """Redis commands that failed (outage, timeout): the cache passed through to the source."""
    invalidation_errors: int = 0
    """Invalidations that failed: entries may stay stale until their TTL ends; also counted in ``errors``."""
    decode_errors: int = 0
    """Entries that no longer validate against the requested type (e.g. written by an older release)."""
    refreshes: int = 0
    """Background refresh-ahead loads that completed."""
    refresh_errors: int = 0
    """Background refresh-ahead loads whose source failed (the old entry serves until its TTL ends)."""
    writes_behind: int = 0
    """Write-behind writes persisted to the source."""
    write_behind_errors: int = 0
    """Write-behind attempts whose source write failed (retried at the next flush)."""

    @property
    def hit_ratio(self) -> float:
        """Hits over hits plus misses; 0.0 before any lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

    def as_dict(self) -> dict[str, int]:
        """The counters by name, e.g. to export as Prometheus counters ``cache_<name>_total``."""
        return dataclasses.asdict(self)
