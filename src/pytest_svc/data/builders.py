"""Plain test data: fluent ``Builder`` objects and the ``ModelFactory`` dict helpers.

Builders and these helpers make data, never rows: for rows in ``db_session`` use ``make_test_model`` or a
:class:`~pytest_svc.SQLAlchemyFactory`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Self, TypeVar

from pytest_svc.users import DEFAULT_TENANT

_T = TypeVar("_T")
_numbers = itertools.count(1)

UNKNOWN_FIELD_MESSAGE = "{builder} has no field {field!r}; its fields are {fields}. Add it to {builder}.defaults."


class Builder(Generic[_T]):
    """A fluent, immutable builder: every step returns a new builder, so a half-built one can be shared.

    Subclass it with ``defaults`` (field name to value; a zero-argument callable is called anew on every
    ``build()``: ``uuid.uuid4``, or ``list`` for a fresh empty list) and optionally ``target``, called with the
    fields by ``build()`` (a model class, a dataclass, a pydantic model); without one ``build()`` returns a
    dict. Every field gets a ``with_<field>(value)`` step; ``with_(**fields)`` sets several, ``with_audit(by)``
    sets ``created_by`` and ``updated_by``. Explicit steps are ordinary methods returning ``self.with_(...)``::

        class UserBuilder(Builder[User]):
            target = User
            defaults = {"email": "user@example.com", "name": "Test User", "created_by": None, "updated_by": None}

        UserBuilder().with_email("a@b.c").with_name("Ann").with_audit("admin@example.com").build()

    A field the builder does not declare fails at once, naming the fields it has.
    """

    defaults: ClassVar[Mapping[str, Any]] = {}
    target: ClassVar[Callable[..., Any] | None] = None

    def __init__(self, **fields: Any) -> None:
        self._check(fields)
        self._fields: dict[str, Any] = fields

    def _check(self, fields: Mapping[str, Any]) -> None:
        unknown = [name for name in fields if name not in self.defaults]
        if unknown:
            raise TypeError(
                UNKNOWN_FIELD_MESSAGE.format(builder=type(self).__name__, field=unknown[0], fields=list(self.defaults))
            )

    def with_(self, **fields: Any) -> Self:
        """A new builder with these fields set."""
        return type(self)(**{**self._fields, **fields})

    def with_audit(self, created_by: str | None, updated_by: str | None = None) -> Self:
        """A new builder with ``created_by`` and ``updated_by`` (default: the same principal) set."""
        return self.with_(created_by=created_by, updated_by=created_by if updated_by is None else updated_by)

    def __getattr__(self, name: str) -> Callable[[Any], Self]:
        # Only reached for attributes the class lacks: the generated with_<field> steps.
        field = name.removeprefix("with_")
        if field == name or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self._check({field: None})
        return lambda value: self.with_(**{field: value})

    @property
    def fields(self) -> dict[str, Any]:
        """The fields ``build()`` would use, defaults resolved (callables are called)."""
        values = {**self.defaults, **self._fields}
        return {name: value() if callable(value) else value for name, value in values.items()}

    def build(self) -> _T:
        """The object: ``target(**fields)``, or the fields as a dict when the builder has no ``target``."""
        fields = self.fields
        target = type(self).target
        return target(**fields) if target is not None else fields  # type: ignore[return-value]

    def __repr__(self) -> str:
        set_fields = ", ".join(f"{name}={value!r}" for name, value in self._fields.items())
        return f"{type(self).__name__}({set_fields})"


class ModelFactory:
    """Plain-data helpers: dicts shaped like the template's payloads, for request bodies and fakes.

    ``ModelFactory.create_user(email="ann@example.com")`` gives a user dict with fresh id, email and name;
    ``ModelFactory.create_batch(ModelFactory.create_user, 3, roles=["admin"])`` calls any such function
    ``count`` times.
    """

    @staticmethod
    def create_user(**overrides: Any) -> dict[str, Any]:
        """A user dict: ``id`` (uuid4 string), ``email``, ``name``, ``roles``, ``permissions``, ``tenant_id``,
        ``is_active``; keywords override or add keys."""
        number = next(_numbers)
        user: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "email": f"user{number}@example.com",
            "name": f"Test User {number}",
            "roles": ["user"],
            "permissions": [],
            "tenant_id": DEFAULT_TENANT,
            "is_active": True,
        }
        return {**user, **overrides}

    @staticmethod
    def create_batch(make: Callable[..., _T], count: int, **kwargs: Any) -> list[_T]:
        """``count`` results of ``make(**kwargs)``, e.g. ``ModelFactory.create_batch(ModelFactory.create_user, 3)``."""
        return [make(**kwargs) for _ in range(count)]
