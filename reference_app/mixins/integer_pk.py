"""``IntegerPKMixin``: an auto-incrementing integer primary key."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column


class IntegerPKMixin:
    """Adds ``id``: an integer primary key the database assigns (``SERIAL`` on PostgreSQL, rowid on SQLite).

    Compact and ordered by insertion; prefer a UUID key when ids are exposed and must not be guessable.
    """

    # Integer, not BigInteger: on SQLite only ``INTEGER PRIMARY KEY`` is an alias of the auto-assigned rowid.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-100)
