"""The cache of the current request, for ``@cached`` functions and the module-level invalidation helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from reference_app.cache.manager import CacheManager

NO_CACHE_HELP = (
    "no cache in this context: add Depends(get_cache) to the route (or its router's dependencies), wrap the "
    "call in `with use_cache(manager):`, or pass cache=manager."
)

current_cache: ContextVar[CacheManager | None] = ContextVar("current_cache", default=None)
"""The :class:`CacheManager` of the request being handled; set by ``get_cache``, read by ``@cached``."""


@contextlib.contextmanager
def use_cache(manager: CacheManager) -> Iterator[CacheManager]:
    """Make ``manager`` the current cache inside the block (jobs, scripts and tests outside a request)."""
    token = current_cache.set(manager)
    try:
        yield manager
    finally:
        current_cache.reset(token)


def active_cache(cache: CacheManager | None = None) -> CacheManager:
    """``cache`` if given, else the current one; a ``RuntimeError`` saying how to provide one if neither."""
    manager = cache if cache is not None else current_cache.get()
    if manager is None:
        raise RuntimeError(NO_CACHE_HELP)
    return manager


async def invalidate_cache(key: str, *, cache: CacheManager | None = None) -> int:
    """Delete the entry ``key`` (a ``cache_key(...)``) from the current cache; return 1 if it was there."""
    return await active_cache(cache).invalidate(key)


async def invalidate_pattern(pattern: str, *, cache: CacheManager | None = None) -> int:
    """Delete the current cache's entries matching the glob ``pattern`` (``"user:*"``), by ``SCAN``."""
    return await active_cache(cache).invalidate_pattern(pattern)


async def invalidate_tags(tags: Iterable[str], *, cache: CacheManager | None = None) -> int:
    """Delete the current cache's entries stored with any of ``tags``; return how many."""
    return await active_cache(cache).invalidate_tags(tags)
