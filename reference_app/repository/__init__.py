"""Data access: ``BaseRepository[T]`` (CRUD, filters, offset and keyset pages, bulk writes, upsert) and its parts.

``documents = BaseRepository(Document, cursor_key=...)``; ``await documents.paginate_cursor(session, 50, cursor)``.
Filters are small dataclasses (:mod:`.filters`); pages are :class:`OffsetPage` and :class:`CursorPage`; keyset
cursors are signed tokens (:mod:`.cursor`).
"""

from __future__ import annotations

from reference_app.repository.base import BaseRepository
from reference_app.repository.cursor import Cursor, CursorCodec
from reference_app.repository.filters import CollectionFilter, FieldFilter, Filter, Filters, RangeFilter, SearchFilter
from reference_app.repository.pages import CursorPage, OffsetPage
from reference_app.repository.query import OrderBy, OrderItem

__all__ = [
    "BaseRepository",
    "CollectionFilter",
    "Cursor",
    "CursorCodec",
    "CursorPage",
    "FieldFilter",
    "Filter",
    "Filters",
    "OffsetPage",
    "OrderBy",
    "OrderItem",
    "RangeFilter",
    "SearchFilter",
]
