"""Database models: one per primary key strategy (integer, UUIDv7, UUIDv4), built from the ``db`` mixins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from reference_app.db import (
    AuditColumnsMixin,
    Base,
    IntegerPKMixin,
    SoftDeleteMixin,
    TenantMixin,
    TimestampMixin,
    UTCDateTime,
    UUID7PKMixin,
    UUIDPKMixin,
    utc_now,
)

# Kept importable from here: earlier code imported them from this module.
__all__ = ["Document", "Tag", "UTCDateTime", "User", "utc_now"]


class Document(IntegerPKMixin, TenantMixin, TimestampMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A titled text owned by a tenant, audited (who created, updated, deleted it) and soft-deletable."""

    __tablename__ = "documents"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")


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


class Tag(UUIDPKMixin, TenantMixin, TimestampMixin, Base):
    """A label documents can be filed under; its name is unique within a tenant.

    Databases treat NULLs as distinct in unique constraints, so tags without a tenant are not deduplicated.
    """

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100), nullable=False)
