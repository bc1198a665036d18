"""Request and response bodies of the ``/users`` API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field


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
