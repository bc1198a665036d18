"""The documents' tables: ``Document`` (integer key, tenant, audit, soft delete) and ``Tag`` (UUIDv4 key)."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reference_app.db import Base
from reference_app.mixins import (
    AuditColumnsMixin,
    IntegerPKMixin,
    SoftDeleteMixin,
    TenantMixin,
    TimestampMixin,
    UUIDPKMixin,
)


class Document(IntegerPKMixin, TenantMixin, TimestampMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A titled text owned by a tenant, audited (who created, updated, deleted it) and soft-deletable."""

    __tablename__ = "documents"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Tag(UUIDPKMixin, TenantMixin, TimestampMixin, Base):
    """A label documents can be filed under; its name is unique within a tenant.

    Databases treat NULLs as distinct in unique constraints, so tags without a tenant are not deduplicated.
    """

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100), nullable=False)
