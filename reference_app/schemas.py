"""Request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Title = Annotated[str, Field(min_length=1, max_length=200)]
ItemT = TypeVar("ItemT")


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


class OffsetPageRead(BaseModel, Generic[ItemT]):
    """One page of a listing by offset, with the total over all pages."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int


class CursorPageRead(BaseModel, Generic[ItemT]):
    """One page of a keyset listing; pass a cursor back as ``?cursor=`` for the next or previous page."""

    items: list[ItemT]
    next_cursor: str | None
    prev_cursor: str | None


class UserCreate(BaseModel):
    """Body of ``POST /users``."""

    email: EmailStr
    name: Annotated[str, Field(min_length=1, max_length=200)]
    bio: str | None = None
    locale: Annotated[str | None, Field(max_length=35)] = None


class UserUpdate(BaseModel):
    """Body of ``PATCH /users/me``; omitted fields stay unchanged."""

    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    bio: str | None = None
    locale: Annotated[str | None, Field(max_length=35)] = None


class UserRead(BaseModel):
    """A user profile as returned by the API."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    bio: str | None
    locale: str | None
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None


Preferences = Annotated[dict[str, Any], Field(max_length=50)]
"""A user's preferences: a flat JSON object of at most 50 keys."""
