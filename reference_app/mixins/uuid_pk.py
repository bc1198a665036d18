"""``UUIDPKMixin``: a random (version 4) UUID primary key."""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid
from sqlalchemy.orm import Mapped, mapped_column


class UUIDPKMixin:
    """Adds ``id``: a random UUIDv4 primary key, assigned in Python when the row is first flushed.

    Unguessable and free of ordering; ``uuid`` on PostgreSQL, ``CHAR(32)`` on SQLite. An explicitly set ``id``
    is kept.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4, sort_order=-100)
