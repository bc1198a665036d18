"""The pages ``BaseRepository`` returns: offset pages with a total, cursor pages with opaque cursors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class OffsetPage(Generic[ItemT]):
    """``limit`` items starting at ``offset``, and ``total``: how many items all pages hold together."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        """Whether items follow this page."""
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True)
class CursorPage(Generic[ItemT]):
    """Up to ``limit`` items, and the cursors of the pages after and before them (``None``: no such page)."""

    items: list[ItemT]
    next_cursor: str | None
    prev_cursor: str | None
