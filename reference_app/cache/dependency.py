"""The process's cache runtime, the ``get_cache`` FastAPI dependency, and the shutdown hook."""

from __future__ import annotations

from reference_app.cache.context import current_cache
from reference_app.cache.manager import CacheManager
from reference_app.cache.runtime import CacheRuntime
from reference_app.redis_client import RedisClient
from reference_app.settings import get_settings

# Created on first use from the settings; closed and dropped by the app's shutdown (``close_cache``).
_runtime: CacheRuntime | None = None


def get_cache_runtime() -> CacheRuntime:
    """The process-wide :class:`CacheRuntime` (metrics, single-flight, write-behind queue)."""
    global _runtime
    if _runtime is None:
        _runtime = CacheRuntime.from_settings(get_settings().cache)
    return _runtime


def cache_runtime_if_started() -> CacheRuntime | None:
    """The process's runtime if one was made, else None (for metrics: reading them must not start one)."""
    return _runtime


async def get_cache(redis: RedisClient) -> CacheManager:
    """FastAPI dependency: a :class:`CacheManager` over ``get_redis()`` and the process's runtime.

    It also becomes the request's current cache, for ``@cached`` functions and ``invalidate_*`` helpers.
    Overriding ``get_redis`` (tests, an outage drill) redirects the cache with it.
    """
    # Async on purpose: a sync dependency runs in a thread and its ContextVar write would not reach the endpoint.
    manager = CacheManager(redis, get_cache_runtime())
    current_cache.set(manager)
    return manager


async def close_cache() -> None:
    """Flush the write-behind queue and wait for background refreshes; the next request starts a new runtime."""
    global _runtime
    if _runtime is not None:
        runtime, _runtime = _runtime, None
        await runtime.close()
