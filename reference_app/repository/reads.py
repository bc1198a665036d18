"""The read half of the repository: by primary key, filtered lists and counts, offset and keyset pages."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from reference_app.errors import NotFoundError
from reference_app.mixins.soft_delete import SoftDeleteMixin
from reference_app.repository.cursor import Cursor, Direction, check_sortable
from reference_app.repository.filters import Filters
from reference_app.repository.keyset import KeysetOrder
from reference_app.repository.pages import CursorPage, OffsetPage
from reference_app.repository.query import ModelQuery, ModelT, OrderBy


class ReadRepository(ModelQuery[ModelT]):
    """Reads of ``model`` that leave soft-deleted rows out unless ``include_deleted=True``; see ``BaseRepository``."""

    # -- reads -------------------------------------------------------------------------------------------------

    async def get(self, session: AsyncSession, id: Any, *, include_deleted: bool = False) -> ModelT | None:
        """The row with primary key ``id``, or ``None`` (also when it is soft-deleted, unless ``include_deleted``).

        Served from the session's identity map without SQL when the object is already loaded.
        """
        obj = await session.get(self.model, id)
        if obj is None or (not include_deleted and isinstance(obj, SoftDeleteMixin) and obj.is_deleted):
            return None
        return obj

    async def get_or_raise(self, session: AsyncSession, id: Any, *, include_deleted: bool = False) -> ModelT:
        """Like :meth:`get`, but a missing row raises :class:`~reference_app.errors.NotFoundError` (a 404)."""
        obj = await self.get(session, id, include_deleted=include_deleted)
        if obj is None:
            raise NotFoundError(f"{self.model.__name__} {id} not found.")
        return obj

    async def _resolve(self, session: AsyncSession, id_or_obj: Any, *, include_deleted: bool) -> ModelT:
        if isinstance(id_or_obj, self.model):
            return id_or_obj
        return await self.get_or_raise(session, id_or_obj, include_deleted=include_deleted)

    async def list(
        self,
        session: AsyncSession,
        *,
        filters: Filters | None = None,
        order_by: OrderBy | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include_deleted: bool = False,
    ) -> builtins.list[ModelT]:
        """The rows matching ``filters``, in ``order_by`` order then by primary key (default: primary key only)."""
        statement = self._select(filters, include_deleted).order_by(*self._order_by(order_by))
        if limit is not None:
            statement = statement.limit(limit)
        if offset:
            statement = statement.offset(offset)
        return builtins.list(await session.scalars(statement))

    async def count(
        self, session: AsyncSession, *, filters: Filters | None = None, include_deleted: bool = False
    ) -> int:
        """How many rows match ``filters``."""
        statement = select(func.count()).select_from(self._select(filters, include_deleted).subquery())
        return (await session.execute(statement)).scalar_one()

    # -- pages ---------------------------------------------------------------------------------------------------

    async def paginate_offset(
        self,
        session: AsyncSession,
        limit: int,
        offset: int = 0,
        *,
        filters: Filters | None = None,
        order_by: OrderBy | None = None,
        include_deleted: bool = False,
    ) -> OffsetPage[ModelT]:
        """``limit`` rows from ``offset`` and the total count (two queries). Deep offsets get slow; rows
        inserted or deleted between pages shift them: prefer :meth:`paginate_cursor` for feeds and exports."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be at least 1 and offset at least 0.")
        total = await self.count(session, filters=filters, include_deleted=include_deleted)
        items = await self.list(
            session, filters=filters, order_by=order_by, limit=limit, offset=offset, include_deleted=include_deleted
        )
        return OffsetPage(items=items, total=total, limit=limit, offset=offset)

    async def paginate_cursor(
        self,
        session: AsyncSession,
        limit: int,
        cursor: str | None = None,
        *,
        order_by: str | QueryableAttribute[Any] | None = None,
        descending: bool = False,
        filters: Filters | None = None,
        include_deleted: bool = False,
    ) -> CursorPage[ModelT]:
        """A keyset page of up to ``limit`` rows: the first one, or the one ``cursor`` points to.

        Ordered by ``order_by`` (a column; default the primary key), NULLs last in both directions, then by
        primary key. ``next_cursor``/``prev_cursor`` are opaque tokens for the neighbouring pages (``None`` at
        either end); rows inserted or deleted between requests are neither skipped nor repeated. A cursor that
        was tampered with, is malformed, or belongs to another listing (model, ``order_by``, ``descending``)
        raises :class:`~reference_app.errors.BadRequestError` (a 400).
        """
        if limit < 1:
            raise ValueError("limit must be at least 1.")
        key = self._pk_key if order_by is None else self._key_of(order_by)
        column = self._columns[key]
        value_type = column.type.python_type
        check_sortable(value_type)
        order = KeysetOrder(
            column=self._column(key),
            pk=self._column(self._pk_key),
            descending=descending,
            by_pk=key == self._pk_key,
            nullable=bool(column.nullable),
        )
        statement = self._select(filters, include_deleted)
        position: Cursor | None = None
        if cursor is not None:
            position = self._codec.decode(
                cursor,
                resource=self._resource,
                order_key=key,
                descending=descending,
                value_type=value_type,
                value_nullable=bool(column.nullable),
                pk_type=self._columns[self._pk_key].type.python_type,
            )
            statement = statement.where(
                order.beyond(
                    position.value, position.pk, forward=position.direction == "next", inclusive=position.inclusive
                )
            )
        forward = position is None or position.direction == "next"
        rows = builtins.list(
            await session.scalars(statement.order_by(*order.order_by(reverse=not forward)).limit(limit + 1))
        )
        more = len(rows) > limit
        items = rows[:limit] if forward else rows[:limit][::-1]

        def at(obj: ModelT, direction: Direction) -> str:
            return self._encode(key, descending, direction, False, getattr(obj, key), getattr(obj, self._pk_key))

        def back_at_position(direction: Direction) -> str | None:
            # An empty page still has neighbours: the rows up to (or from) the position it was asked for.
            if position is None:
                return None
            return self._encode(key, descending, direction, not position.inclusive, position.value, position.pk)

        if forward:
            next_cursor = at(items[-1], "next") if more else None
            prev_cursor = None if position is None else at(items[0], "prev") if items else back_at_position("prev")
        else:
            prev_cursor = at(items[0], "prev") if more else None
            next_cursor = at(items[-1], "next") if items else back_at_position("next")
        return CursorPage(items=items, next_cursor=next_cursor, prev_cursor=prev_cursor)

    def _encode(self, key: str, descending: bool, direction: Direction, inclusive: bool, value: Any, pk: Any) -> str:
        cursor = Cursor(self._resource, key, descending, direction, inclusive, value, pk)
        return self._codec.encode(cursor)
