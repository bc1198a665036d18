"""Filters for ``BaseRepository`` reads: small dataclasses, each naming a column and building one condition.

A read takes either a mapping (``{"tenant_id": "t1", "deleted_by": None}``: equality, ``None`` meaning
``IS NULL``) or a sequence mixing these filters and plain SQLAlchemy conditions
(``[SearchFilter("title", "report"), Document.created_at >= since]``). Every item is ANDed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, and_, true


@dataclass(frozen=True)
class FieldFilter(ABC):
    """A condition on the column ``field``; the repository checks the name and supplies the column."""

    field: str

    @abstractmethod
    def where(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """The condition on ``column`` (the model's column named ``field``)."""


@dataclass(frozen=True)
class CollectionFilter(FieldFilter):
    """``field IN values``; an empty collection matches nothing."""

    values: Collection[Any]

    def where(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        return column.in_(list(self.values))


@dataclass(frozen=True)
class SearchFilter(FieldFilter):
    """``field`` contains ``value``, ignoring case (``%`` and ``_`` in ``value`` match only themselves).

    Always case-insensitive: SQLite's ``LIKE`` ignores ASCII case anyway, so a case-sensitive search would
    behave differently per backend.
    """

    value: str

    def where(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        return column.icontains(self.value, autoescape=True)


@dataclass(frozen=True)
class RangeFilter(FieldFilter):
    """``lower <= field <= upper``; a bound left ``None`` is open. ``inclusive=False`` makes both strict."""

    lower: Any = None
    upper: Any = None
    inclusive: bool = True

    def where(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if self.lower is not None:
            conditions.append(column >= self.lower if self.inclusive else column > self.lower)
        if self.upper is not None:
            conditions.append(column <= self.upper if self.inclusive else column < self.upper)
        return and_(*conditions) if conditions else true()


Filter: TypeAlias = FieldFilter | ColumnElement[bool]
"""One item of a filter sequence: a :class:`FieldFilter` or any SQLAlchemy boolean expression."""

Filters: TypeAlias = Mapping[str, Any] | Sequence[Filter]
"""What ``filters=`` accepts: a mapping of column name to value (equality), or a sequence of :data:`Filter`."""
