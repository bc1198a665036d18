"""Column mixins for models, one per module: primary key strategies, timestamps, audit, soft delete, tenant.

``class Document(IntegerPKMixin, TenantMixin, TimestampMixin, AuditColumnsMixin, SoftDeleteMixin, Base)``;
``from reference_app.mixins import IntegerPKMixin, TimestampMixin``.
"""

from __future__ import annotations

from reference_app.mixins.audit import ACTOR_LENGTH, AuditColumnsMixin
from reference_app.mixins.integer_pk import IntegerPKMixin
from reference_app.mixins.soft_delete import SoftDeleteMixin
from reference_app.mixins.tenant import TenantMixin
from reference_app.mixins.timestamp import TimestampMixin
from reference_app.mixins.uuid7_pk import UUID7PKMixin, uuid7
from reference_app.mixins.uuid_pk import UUIDPKMixin

__all__ = [
    "ACTOR_LENGTH",
    "AuditColumnsMixin",
    "IntegerPKMixin",
    "SoftDeleteMixin",
    "TenantMixin",
    "TimestampMixin",
    "UUID7PKMixin",
    "UUIDPKMixin",
    "uuid7",
]
