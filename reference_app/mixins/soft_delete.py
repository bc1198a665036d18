"""``SoftDeleteMixin``: rows marked deleted instead of removed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from reference_app.db.actor import audit_actor
from reference_app.db.types import UTCDateTime, utc_now
from reference_app.mixins.audit import ACTOR_LENGTH


class SoftDeleteMixin:
    """Adds ``deleted_at`` and ``deleted_by``; a row is deleted when ``deleted_at`` is set.

    ``BaseRepository`` hides deleted rows from reads unless ``include_deleted=True`` and soft-deletes them in
    ``delete()`` unless ``hard=True``. ``is_deleted`` works on instances and in queries:
    ``select(Document).where(Document.is_deleted)``.
    """

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None, sort_order=120)
    deleted_by: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH), nullable=True, sort_order=121)

    @hybrid_property
    def is_deleted(self) -> bool:
        """Whether the row is soft-deleted; in a query, ``deleted_at IS NOT NULL``."""
        return self.deleted_at is not None

    @is_deleted.inplace.expression
    @classmethod
    def _is_deleted_expression(cls) -> ColumnElement[bool]:
        return cls.deleted_at.is_not(None)

    def soft_delete(self, by: str | None = None) -> None:
        """Mark the row deleted now, by ``by`` or else the audit actor; takes effect at the next flush.

        Deleting an already deleted row keeps the first deletion's time and author.
        """
        if self.deleted_at is not None:
            return
        self.deleted_at = utc_now()
        self.deleted_by = by if by is not None else audit_actor()

    def restore(self) -> None:
        """Undo :meth:`soft_delete`: clear ``deleted_at`` and ``deleted_by``."""
        self.deleted_at = None
        self.deleted_by = None
