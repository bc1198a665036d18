"""The statement-building core of the repository: a model's columns by name, filters, reads' SELECT and ORDER BY.

:class:`ModelQuery` checks every column name a caller gives (filters, ordering, writes) against the model's mapped
columns; :class:`~reference_app.repository.reads.ReadRepository` and
:class:`~reference_app.repository.base.BaseRepository` build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

from sqlalchemy import Column, ColumnElement, Select, inspect, select
from sqlalchemy.orm import QueryableAttribute

from reference_app.db.base import Base
from reference_app.mixins.audit import AuditColumnsMixin
from reference_app.mixins.soft_delete import SoftDeleteMixin
from reference_app.mixins.timestamp import TimestampMixin
from reference_app.repository.cursor import CursorCodec, random_cursor_codec
from reference_app.repository.filters import FieldFilter, Filters

ModelT = TypeVar("ModelT", bound=Base)

OrderItem: TypeAlias = str | QueryableAttribute[Any] | ColumnElement[Any]
"""A column name (``"-title"`` for descending), a model attribute, or an expression (``Document.title.desc()``)."""

OrderBy: TypeAlias = OrderItem | Sequence[OrderItem]

# One codec for every repository that is not given a key: cursors survive between requests of this process.
_PROCESS_CODEC = random_cursor_codec()


class ModelQuery(Generic[ModelT]):
    """What the repository knows of ``model`` (columns, primary key, mixins) and the statements it builds from it.

    Column names must be mapped columns of ``model``, else ``ValueError``.
    """

    def __init__(self, model: type[ModelT], *, cursor_key: bytes | None = None) -> None:
        mapper = inspect(model)
        if len(mapper.primary_key) != 1:
            raise TypeError(f"{model.__name__}: BaseRepository needs a single-column primary key.")
        self.model = model
        # Keyed by attribute name, which is what callers use (a column may be named differently in the table).
        self._columns: dict[str, Column[Any]] = dict(mapper.columns.items())
        self._pk_key = mapper.get_property_by_column(mapper.primary_key[0]).key
        self._resource = mapper.local_table.description
        self._soft_delete = issubclass(model, SoftDeleteMixin)
        self._audited = issubclass(model, AuditColumnsMixin)
        self._timestamped = issubclass(model, TimestampMixin)
        self._codec = CursorCodec(cursor_key) if cursor_key is not None else _PROCESS_CODEC

    # -- building statements ---------------------------------------------------------------------------------

    def _attribute(self, name: str) -> QueryableAttribute[Any]:
        if name not in self._columns:
            raise ValueError(f"{self.model.__name__} has no column {name!r}.")
        attribute: QueryableAttribute[Any] = getattr(self.model, name)
        return attribute

    def _column(self, name: str) -> ColumnElement[Any]:
        return self._attribute(name).expression

    def _check_columns(self, names: Iterable[str]) -> None:
        for name in names:
            self._attribute(name)

    def _key_of(self, attribute: str | QueryableAttribute[Any]) -> str:
        if isinstance(attribute, str):
            self._attribute(attribute)
            return attribute
        # ``is``, not ``==``: comparing attributes builds SQL.
        if getattr(self.model, attribute.key, None) is not attribute or attribute.key not in self._columns:
            raise ValueError(f"{attribute} is not a column of {self.model.__name__}.")
        return str(attribute.key)

    @property
    def _pk(self) -> QueryableAttribute[Any]:
        return self._attribute(self._pk_key)

    def _where(self, filters: Filters | None) -> list[ColumnElement[bool]]:
        if filters is None:
            return []
        if isinstance(filters, Mapping):
            return [
                self._attribute(name).is_(None) if value is None else self._attribute(name) == value
                for name, value in filters.items()
            ]
        return [item.where(self._column(item.field)) if isinstance(item, FieldFilter) else item for item in filters]

    def _select(self, filters: Filters | None, include_deleted: bool) -> Select[ModelT]:
        statement = select(self.model).where(*self._where(filters))
        if self._soft_delete and not include_deleted:
            statement = statement.where(self._attribute("deleted_at").is_(None))
        return statement

    def _order_by(self, order_by: OrderBy | None) -> list[ColumnElement[Any] | QueryableAttribute[Any]]:
        if order_by is None:
            items: Sequence[OrderItem] = ()
        elif isinstance(order_by, str | QueryableAttribute | ColumnElement):
            items = (order_by,)
        else:
            items = order_by
        clauses: list[ColumnElement[Any] | QueryableAttribute[Any]] = []
        for item in items:
            if isinstance(item, str):
                attribute = self._attribute(item.removeprefix("-"))
                clauses.append(attribute.desc() if item.startswith("-") else attribute.asc())
            else:
                clauses.append(item)
        # The primary key last: pages of equal values would otherwise come back in any order.
        clauses.append(self._pk.asc())
        return clauses
