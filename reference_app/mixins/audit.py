"""``AuditColumnsMixin``: who created and last updated a row, filled from the audit actor."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from reference_app.db.actor import audit_actor

# 320 characters is the longest valid email address.
ACTOR_LENGTH = 320


class AuditColumnsMixin:
    """Adds ``created_by`` and ``updated_by``: the actor (the caller's email) who wrote the row, if any.

    Filled at flush from the audit actor (:mod:`reference_app.db.actor`, see :func:`fill_audit_columns`); a value
    set by hand wins. Rows written outside a request (no actor) keep ``None`` / the previous writer.
    """

    created_by: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH), nullable=True, sort_order=110)
    updated_by: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH), nullable=True, sort_order=111)


@event.listens_for(Session, "before_flush")
def fill_audit_columns(session: Session, flush_context: UOWTransaction, instances: Iterable[object] | None) -> None:
    """Stamp the audit actor on new and changed audited objects before they are written.

    Registered on the ``Session`` class, so every session gets it, including ``AsyncSession``'s inner one and
    the sessions a test harness makes; it touches only :class:`AuditColumnsMixin` objects.
    """
    del flush_context, instances
    actor = audit_actor()
    if actor is None:
        return
    for obj in session.new:
        if isinstance(obj, AuditColumnsMixin):
            if obj.created_by is None:
                obj.created_by = actor
            if obj.updated_by is None:
                obj.updated_by = actor
    for obj in session.dirty:
        # dirty holds every object an attribute was set on, even to its old value; is_modified checks history.
        if not (isinstance(obj, AuditColumnsMixin) and session.is_modified(obj)):
            continue
        if not inspect(obj).attrs.updated_by.history.has_changes():
            obj.updated_by = actor
