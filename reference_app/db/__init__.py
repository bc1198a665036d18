"""The database: declarative base, engine and the request's session, column types, and the audit actor.

Models derive from :class:`Base` and the column mixins of :mod:`reference_app.mixins`; data access goes through
:mod:`reference_app.repository`. ``from reference_app.db import Base, get_db_session``.
"""

from __future__ import annotations

from reference_app.db.actor import acting_as, audit_actor, current_actor
from reference_app.db.base import NAMING_CONVENTION, Base
from reference_app.db.engine import dispose_engine, get_db_session, get_engine, get_sessionmaker
from reference_app.db.types import UTCDateTime, utc_now

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "UTCDateTime",
    "acting_as",
    "audit_actor",
    "current_actor",
    "dispose_engine",
    "get_db_session",
    "get_engine",
    "get_sessionmaker",
    "utc_now",
]
