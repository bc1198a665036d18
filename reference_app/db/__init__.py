"""The data layer: declarative base and engine, column mixins, and the generic repository.

Each mixin lives in its own module; import them from here: ``from reference_app.db import Base,
IntegerPKMixin, TimestampMixin, BaseRepository``.
"""

from __future__ import annotations

from reference_app.db.audit import AuditColumnsMixin
from reference_app.db.base import NAMING_CONVENTION, Base
from reference_app.db.cursor import CursorCodec
from reference_app.db.engine import dispose_engine, get_db_session, get_engine, get_sessionmaker
from reference_app.db.filters import CollectionFilter, FieldFilter, Filter, Filters, RangeFilter, SearchFilter
from reference_app.db.integer_pk import IntegerPKMixin
from reference_app.db.pages import CursorPage, OffsetPage
from reference_app.db.repository import BaseRepository
from reference_app.db.soft_delete import SoftDeleteMixin
from reference_app.db.tenant import TenantMixin
from reference_app.db.timestamp import TimestampMixin
from reference_app.db.types import UTCDateTime, utc_now
from reference_app.db.uuid7_pk import UUID7PKMixin, uuid7
from reference_app.db.uuid_pk import UUIDPKMixin

__all__ = [
    "NAMING_CONVENTION",
    "AuditColumnsMixin",
    "Base",
    "BaseRepository",
    "CollectionFilter",
    "CursorCodec",
    "CursorPage",
    "FieldFilter",
    "Filter",
    "Filters",
    "IntegerPKMixin",
    "OffsetPage",
    "RangeFilter",
    "SearchFilter",
    "SoftDeleteMixin",
    "TenantMixin",
    "TimestampMixin",
    "UTCDateTime",
    "UUID7PKMixin",
    "UUIDPKMixin",
    "dispose_engine",
    "get_db_session",
    "get_engine",
    "get_sessionmaker",
    "utc_now",
    "uuid7",
]
