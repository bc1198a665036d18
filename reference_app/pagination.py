"""Paged listings over HTTP: the ``limit``/``offset`` query parameters and the page bodies the routes return.

The repository's pages (:mod:`reference_app.repository.pages`) are what a read gives; these are what a client sees.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

ItemT = TypeVar("ItemT")

PageLimit = Annotated[int, Query(ge=1, le=100)]
"""``?limit=``: how many items a page holds, 1 to 100."""

PageOffset = Annotated[int, Query(ge=0)]
"""``?offset=``: how many items come before the page."""


class OffsetPageRead(BaseModel, Generic[ItemT]):
    """One page of a listing by offset, with the total over all pages."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int


class CursorPageRead(BaseModel, Generic[ItemT]):
    """One page of a keyset listing; pass a cursor back as ``?cursor=`` for the next or previous page."""

    items: list[ItemT]
    next_cursor: str | None
    prev_cursor: str | None
