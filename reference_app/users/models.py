"""The users' table: ``User``, a UUIDv7-keyed, audited, soft-deletable account and profile."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from reference_app.db import Base
from reference_app.mixins import AuditColumnsMixin, SoftDeleteMixin, TimestampMixin, UUID7PKMixin


class User(UUID7PKMixin, TimestampMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A person's account and profile; the UUIDv7 id is safe to expose and sorts by sign-up time."""

    __tablename__ = "users"

    # 320 characters is the longest valid email address.
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    bio: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A BCP 47 language tag such as "de-CH"; 35 characters covers every registered form.
    locale: Mapped[str | None] = mapped_column(String(35), nullable=True)
    # MutableDict: ``user.preferences["theme"] = "dark"`` marks the row dirty; JSONB on PostgreSQL is indexable.
    preferences: Mapped[dict[str, Any]] = mapped_column(
        MutableDict.as_mutable(JSON().with_variant(JSONB(), "postgresql")), nullable=False, default=dict
    )
