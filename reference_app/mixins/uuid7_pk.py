"""``UUID7PKMixin``: a time-ordered (version 7) UUID primary key."""

from __future__ import annotations

import uuid

# Imported unconditionally: without uuid-utils the app must fail to start, not quietly switch to UUIDv4 keys
# that look the same but lose their ordering.
import uuid_utils
from sqlalchemy import Uuid
from sqlalchemy.orm import Mapped, mapped_column


def uuid7() -> uuid.UUID:
    """A new UUIDv7 (RFC 9562: millisecond timestamp first) as a standard ``uuid.UUID``."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


class UUID7PKMixin:
    """Adds ``id``: a UUIDv7 primary key, assigned in Python when the row is first flushed.

    Unguessable like UUIDv4, but sorted by creation time, so new rows land at the end of the primary key index
    instead of at random pages. An explicitly set ``id`` is kept.
    """

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7, sort_order=-100)
