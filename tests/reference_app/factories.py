"""Factories and builders for the reference app's models, built on pytest-svc's helpers.

``register`` turns each factory into fixtures: ``document`` / ``document_factory``, ``user`` / ``user_factory``,
``tag`` / ``tag_factory``; test modules register what they use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import factory

from pytest_svc import Builder, SQLAlchemyFactory
from reference_app.documents.models import Document, Tag
from reference_app.documents.schemas import DocumentCreate
from reference_app.users.models import User
from reference_app.users.schemas import UserCreate

TENANT = "test-tenant"  # the tenant of the plugin's current_user and admin_user


class UserFactory(SQLAlchemyFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    bio = factory.Faker("sentence")
    locale = "en-GB"


class DocumentFactory(SQLAlchemyFactory[Document]):
    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Document {n:04}")
    body = factory.Faker("paragraph")
    tenant_id = TENANT


class TagFactory(SQLAlchemyFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")
    tenant_id = TENANT


class UserBuilder(Builder[UserCreate]):
    """The body of ``POST /users``."""

    target = UserCreate
    defaults: ClassVar[Mapping[str, Any]] = {
        "email": "new.user@example.com",
        "name": "New User",
        "bio": None,
        "locale": None,
    }


class DocumentBuilder(Builder[DocumentCreate]):
    """The body of ``POST /documents``."""

    target = DocumentCreate
    defaults: ClassVar[Mapping[str, Any]] = {"title": "A document", "body": ""}
