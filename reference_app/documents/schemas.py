"""Request and response bodies of the ``/documents`` API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Title = Annotated[str, Field(min_length=1, max_length=200)]


class DocumentCreate(BaseModel):
    """Body of ``POST /documents``; audit fields are not accepted from clients."""

    title: Title
    body: str = ""


class DocumentBulkCreate(BaseModel):
    """Body of ``POST /documents/bulk``: up to 100 documents created in one statement."""

    items: Annotated[list[DocumentCreate], Field(min_length=1, max_length=100)]


class DocumentUpdate(BaseModel):
    """Body of ``PATCH /documents/{id}``; omitted or null fields stay unchanged."""

    title: Title | None = None
    body: str | None = None


class DocumentRead(BaseModel):
    """A document as returned by the API."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None
    tenant_id: str | None
    deleted_at: datetime | None
    deleted_by: str | None


class ViewCount(BaseModel):
    """Body of ``POST /documents/{id}/views``."""

    views: int
