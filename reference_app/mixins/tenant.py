"""``TenantMixin``: the tenant a row belongs to."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class TenantMixin:
    """Adds ``tenant_id``: the owning tenant's id (indexed), or ``None`` for rows outside any tenant.

    The repository does not scope queries by itself: pass ``filters={"tenant_id": principal.tenant_id}``.
    """

    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True, sort_order=-90)
