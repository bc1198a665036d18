"""Builder and ModelFactory: plain test data, no database."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from pytest_svc import Builder, ModelFactory


@dataclasses.dataclass
class User:
    id: uuid.UUID
    email: str
    name: str
    roles: list[str]
    created_by: str | None
    updated_by: str | None


class UserBuilder(Builder[User]):
    target = User
    defaults: ClassVar[Mapping[str, Any]] = {
        "id": uuid.uuid4,
        "email": "user@example.com",
        "name": "Test User",
        "roles": list,
        "created_by": None,
        "updated_by": None,
    }

    def as_admin(self) -> UserBuilder:
        return self.with_roles(["admin"])


class PayloadBuilder(Builder[dict[str, Any]]):
    defaults: ClassVar[Mapping[str, Any]] = {"title": "Untitled", "body": ""}


def test_steps_build_the_target() -> None:
    user = UserBuilder().with_email("a@b.c").with_name("Ann").with_audit("admin@example.com").build()
    assert isinstance(user, User)
    assert (user.email, user.name, user.roles) == ("a@b.c", "Ann", [])
    assert (user.created_by, user.updated_by) == ("admin@example.com", "admin@example.com")
    edited = UserBuilder().with_audit("ann@example.com", updated_by="bob@example.com").as_admin().build()
    assert (edited.created_by, edited.updated_by, edited.roles) == ("ann@example.com", "bob@example.com", ["admin"])


def test_steps_copy_so_a_partial_builder_can_be_shared() -> None:
    ann = UserBuilder().with_name("Ann")
    first, second = ann.with_email("one@example.com"), ann.with_email("two@example.com")
    assert (first.build().email, second.build().email, ann.build().email) == (
        "one@example.com",
        "two@example.com",
        "user@example.com",
    )
    assert first.build().name == second.build().name == "Ann"


def test_callable_defaults_are_fresh_on_every_build() -> None:
    builder = UserBuilder()
    one, two = builder.build(), builder.build()
    assert one.id != two.id
    one.roles.append("mutated")
    assert two.roles == []
    assert builder.build().roles == []


def test_without_a_target_build_gives_a_dict() -> None:
    assert PayloadBuilder().with_(title="Hello", body="World").build() == {"title": "Hello", "body": "World"}
    assert PayloadBuilder(title="Given").fields == {"title": "Given", "body": ""}
    assert repr(PayloadBuilder().with_title("x")) == "PayloadBuilder(title='x')"


def test_an_unknown_field_fails_at_once_naming_the_fields() -> None:
    message = r"PayloadBuilder has no field 'titel'; its fields are \['title', 'body'\]\. Add it to"
    with pytest.raises(TypeError, match=message):
        PayloadBuilder().with_titel("x")
    with pytest.raises(TypeError, match="has no field 'created_by'"):
        PayloadBuilder().with_audit("admin@example.com")
    with pytest.raises(AttributeError):
        PayloadBuilder().missing  # noqa: B018 - attribute access is the test


def test_model_factory_create_user_gives_fresh_plain_dicts() -> None:
    first, second = ModelFactory.create_user(), ModelFactory.create_user(email="ann@example.com", extra=1)
    assert set(first) == {"id", "email", "name", "roles", "permissions", "tenant_id", "is_active"}
    assert first["id"] != second["id"]
    assert first["email"] != second["email"]
    assert uuid.UUID(first["id"]).version == 4
    assert (second["email"], second["extra"], first["roles"], first["tenant_id"]) == (
        "ann@example.com",
        1,
        ["user"],
        "test-tenant",
    )


def test_model_factory_create_batch_calls_the_function_count_times() -> None:
    admins = ModelFactory.create_batch(ModelFactory.create_user, 3, roles=["admin"])
    assert len({admin["email"] for admin in admins}) == 3
    assert all(admin["roles"] == ["admin"] for admin in admins)
    assert ModelFactory.create_batch(PayloadBuilder().build, 0) == []
    assert [user.name for user in ModelFactory.create_batch(UserBuilder().with_name("Ann").build, 2)] == ["Ann"] * 2
