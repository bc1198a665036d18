"""The audit actor: who is writing, as the data layer stamps it in ``created_by``, ``updated_by`` and ``deleted_by``.

The data layer does not know how callers authenticate. Whoever handles a request publishes the caller here
(``reference_app.auth``'s ``get_current_user`` sets the principal's email); the flush listener of
``AuditColumnsMixin``, ``SoftDeleteMixin.soft_delete`` and ``BaseRepository``'s Core statements read it back.
Jobs, scripts and tests outside a request use :func:`acting_as`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

current_actor: ContextVar[str | None] = ContextVar("current_actor", default=None)
"""The actor of the work being done (the request's caller), or ``None``: rows are then written without an author."""


def audit_actor() -> str | None:
    """The actor to record in the audit columns: the current one, if any."""
    return current_actor.get()


@contextlib.contextmanager
def acting_as(actor: str | None) -> Iterator[None]:
    """Make ``actor`` the audit actor inside the block (``None``: nobody); the previous one afterwards."""
    token = current_actor.set(actor)
    try:
        yield
    finally:
        current_actor.reset(token)
