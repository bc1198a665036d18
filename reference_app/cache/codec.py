"""Values to and from JSON: pydantic's serializer on the way in, a ``TypeAdapter`` on the way out. Never pickle.

Entries are plain JSON text, so any process (or ``redis-cli``) can read them, and a value written by an older
release either validates against today's type or is treated as a miss (see ``CacheManager``).
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import lru_cache
from typing import Any, TypeVar, cast

import pydantic_core
from pydantic import TypeAdapter

T = TypeVar("T")


def encode(value: object) -> str:
    """JSON text of ``value``: models as ``model_dump(mode="json")``, datetimes ISO 8601, UUIDs as strings."""
    return pydantic_core.to_json(value).decode()


@lru_cache(maxsize=512)
def _cached_adapter(as_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(as_type)


def adapter_for(as_type: type[T] | TypeAdapter[T]) -> TypeAdapter[T]:
    """The ``TypeAdapter`` for ``as_type`` (``DocumentRead``, ``list[int]``...), built once per type.

    Building an adapter costs far more than using one; a ``TypeAdapter`` is used as it is.
    """
    if isinstance(as_type, TypeAdapter):
        return as_type
    try:
        return _cached_adapter(cast(Hashable, as_type))
    except TypeError:  # unhashable, e.g. Annotated[..., Field(...)] metadata
        return TypeAdapter(as_type)
