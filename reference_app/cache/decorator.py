"""``@cached``: cache-aside for an async function, keyed and tagged by its arguments."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, ParamSpec, TypeVar

from pydantic import TypeAdapter

from reference_app.cache.codec import adapter_for
from reference_app.cache.context import active_cache
from reference_app.cache.keys import cache_key
from reference_app.cache.manager import CacheManager

P = ParamSpec("P")
T = TypeVar("T")

KeyFunc = Callable[..., str]
TagsFunc = Callable[..., Iterable[str]]


class CachedFunction(Generic[P, T]):
    """An async function whose results are cached: call it as before; ``.key(...)`` and ``.invalidate(...)``
    name and drop the entry of given arguments. Made by :func:`cached`."""

    def __init__(
        self,
        func: Callable[P, Awaitable[T]],
        *,
        key_prefix: str,
        ttl: float | None,
        key_func: KeyFunc | None,
        tags: TagsFunc | Iterable[str] | None,
        cache: CacheManager | None,
    ) -> None:
        functools.update_wrapper(self, func)
        self._func = func
        self._signature = inspect.signature(func)
        self.key_prefix = key_prefix
        self.ttl = ttl
        self._key_func = key_func
        self._tags = tags if tags is None or callable(tags) else tuple(tags)
        self._cache = cache
        self._adapter: TypeAdapter[T] | None = None

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.arguments

    def key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The cache key of a call with these arguments: ``key_prefix:<key_func(...) or the arguments>``."""
        arguments = self._arguments(args, kwargs)
        if self._key_func is not None:
            return cache_key(self.key_prefix, self._key_func(**arguments))
        return cache_key(self.key_prefix, *arguments.values())

    def tags(self, *args: P.args, **kwargs: P.kwargs) -> list[str]:
        """The tags an entry of a call with these arguments is stored with."""
        if self._tags is None:
            return []
        if callable(self._tags):
            return list(self._tags(**self._arguments(args, kwargs)))
        return list(self._tags)

    def _return_adapter(self) -> TypeAdapter[T]:
        # Resolved on first call, not at decoration: the annotation may name a class defined later in the module.
        if self._adapter is None:
            hints = typing.get_type_hints(self._func)
            if "return" not in hints:
                raise TypeError(f"@cached {self._func!r} needs a return annotation: cached JSON is read back as it")
            self._adapter = adapter_for(hints["return"])
        return self._adapter

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        manager = active_cache(self._cache)
        return await manager.get_or_fetch(
            self.key(*args, **kwargs),
            lambda: self._func(*args, **kwargs),
            self._return_adapter(),
            ttl=self.ttl,
            tags=self.tags(*args, **kwargs),
        )

    async def invalidate(self, *args: P.args, **kwargs: P.kwargs) -> int:
        """Drop the entry of these arguments from the cache; return 1 if it was there."""
        return await active_cache(self._cache).invalidate(self.key(*args, **kwargs))


def cached(
    key_prefix: str,
    ttl: float | None = None,
    key_func: KeyFunc | None = None,
    tags: TagsFunc | Iterable[str] | None = None,
    *,
    cache: CacheManager | None = None,
) -> Callable[[Callable[P, Awaitable[T]]], CachedFunction[P, T]]:
    """Cache an async function's results in Redis (cache-aside, single-flight; see ``CacheManager.get_or_fetch``).

    The key is ``key_prefix`` then ``key_func(**arguments)``, or all the arguments when there is no
    ``key_func`` (see :func:`cache_key`). ``key_func`` and ``tags`` receive the call's arguments by name, so
    they may pick the ones they need: ``key_func=lambda document_id, **_: str(document_id)``,
    ``tags=lambda document_id, **_: [f"document:{document_id}"]``; ``tags`` may also be a fixed list. ``ttl`` is
    in seconds (default: the runtime's). The return annotation is the type hits are read back as (a pydantic
    model, ``list[int]``...). The cache is ``cache``, else the request's (``Depends(get_cache)``) or
    :func:`use_cache`'s.
    """

    def decorate(func: Callable[P, Awaitable[T]]) -> CachedFunction[P, T]:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"@cached caches async functions; {func.__qualname__} is not one")
        return CachedFunction(func, key_prefix=key_prefix, ttl=ttl, key_func=key_func, tags=tags, cache=cache)

    return decorate
