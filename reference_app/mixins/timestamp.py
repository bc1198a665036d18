"""``TimestampMixin``: when a row was created and last updated."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from reference_app.db.types import UTCDateTime, utc_now


class TimestampMixin:
    """Adds ``created_at`` and ``updated_at``: timezone-aware UTC datetimes set in Python.

    ``created_at`` is set on insert; ``updated_at`` on insert and on every ORM or Core ``UPDATE`` of the row.
    Python-side (not ``now()`` on the server) because PostgreSQL's ``now()`` is the transaction's start time: all
    rows of one transaction would tie.
    """

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utc_now, sort_order=100)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=utc_now, onupdate=utc_now, sort_order=101
    )
