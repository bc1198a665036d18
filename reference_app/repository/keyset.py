"""Keyset ordering: the ORDER BY of a listing and the WHERE that continues it from a row.

A listing is ordered by one column, then by the primary key, so every row has a unique position even when
values tie. NULLs come after every value in both directions (``ASC NULLS LAST`` / ``DESC NULLS LAST``): a row
without a value is the least interesting one whichever way the client sorts. ``NULLS LAST``/``NULLS FIRST`` are
understood by PostgreSQL and by SQLite 3.30 and later, and the continuation conditions spell out the NULL cases
with ``IS NULL``, so both backends agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, and_, or_

from reference_app.repository.cursor import SortValue


@dataclass(frozen=True)
class KeysetOrder:
    """The order of a listing: ``column`` (NULLs last), then ``pk``, both ascending unless ``descending``.

    ``by_pk`` means the listing is ordered by the primary key alone; ``nullable`` whether ``column`` may hold
    NULLs (when it cannot, the NULL clauses are left out so the database can use a plain index).
    """

    column: ColumnElement[Any]
    pk: ColumnElement[Any]
    descending: bool = False
    by_pk: bool = False
    nullable: bool = True

    def order_by(self, *, reverse: bool = False) -> list[UnaryExpression[Any]]:
        """The ORDER BY clauses; ``reverse=True`` reads the listing backwards (to fetch a previous page)."""
        descending = self.descending != reverse
        clauses: list[UnaryExpression[Any]] = []
        if not self.by_pk:
            clause = self.column.desc() if descending else self.column.asc()
            if self.nullable:
                # NULLs sit at the end of the listing, so at the start when reading it backwards.
                clause = clause.nulls_first() if reverse else clause.nulls_last()
            clauses.append(clause)
        clauses.append(self.pk.desc() if descending else self.pk.asc())
        return clauses

    def beyond(self, value: SortValue, pk: SortValue, *, forward: bool, inclusive: bool) -> ColumnElement[bool]:
        """Rows after (``forward``) or before the position ``(value, pk)`` in listing order.

        ``inclusive`` adds the row at the position itself. Rows inserted or deleted elsewhere do not move the
        position, which is why keyset pages neither skip nor repeat rows when the table changes between them.
        """
        # Whether "further along" means greater: after in an ascending listing, before in a descending one.
        greater = forward != self.descending
        if greater:
            pk_beyond = self.pk >= pk if inclusive else self.pk > pk
        else:
            pk_beyond = self.pk <= pk if inclusive else self.pk < pk
        if self.by_pk:
            return pk_beyond
        column = self.column
        if value is None:
            # The position is in the trailing NULL block, ordered by primary key.
            if forward:
                return and_(column.is_(None), pk_beyond)
            # Backwards: every row with a value precedes the NULL block (on a NULL row the first term is false).
            return or_(column.is_not(None), pk_beyond)
        value_beyond = column > value if greater else column < value
        # A NULL column makes both comparisons NULL, so NULL rows are never matched by them by accident.
        conditions = [value_beyond, and_(column == value, pk_beyond)]
        if forward and self.nullable:
            conditions.append(column.is_(None))
        return or_(*conditions)
