"""The Redis cache: ``@cached``, invalidation by key, pattern and tag, and ``CacheManager`` strategies.

In a route::

    @cached(key_prefix="documents", key_func=lambda document_id, **_: str(document_id),
            tags=lambda document_id, **_: [f"document:{document_id}"])
    async def load_document(session: AsyncSession, document_id: int) -> DocumentRead: ...

    router = APIRouter(dependencies=[Depends(get_cache)])   # makes the request's cache current
    ...
    await invalidate_tags([f"document:{document_id}"])       # after the write commits

or explicitly, ``cache: Annotated[CacheManager, Depends(get_cache)]`` and ``cache.get_or_fetch(...)``. Values are
stored as JSON (pydantic), never pickled. When Redis is unavailable the cache passes through to the source.
"""

from __future__ import annotations

from reference_app.cache.context import current_cache, invalidate_cache, invalidate_pattern, invalidate_tags, use_cache
from reference_app.cache.decorator import CachedFunction, cached
from reference_app.cache.dependency import close_cache, get_cache, get_cache_runtime
from reference_app.cache.keys import cache_key
from reference_app.cache.manager import CacheManager
from reference_app.cache.metrics import CacheMetrics
from reference_app.cache.runtime import CacheRuntime

__all__ = [
    "CacheManager",
    "CacheMetrics",
    "CacheRuntime",
    "CachedFunction",
    "cache_key",
    "cached",
    "close_cache",
    "current_cache",
    "get_cache",
    "get_cache_runtime",
    "invalidate_cache",
    "invalidate_pattern",
    "invalidate_tags",
    "use_cache",
]
