"""factory-boy factories that write into the running test's ``db_session``, and ``register()`` for fixtures.

Not a plugin module: importing factory-boy (and Faker) costs about 150 ms, so ``pytest_svc`` imports this module
only when a test asks for ``SQLAlchemyFactory`` or ``register``. It finds the test's ``db_session`` in the
registry of :mod:`pytest_svc.db.sessions`.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pytest_svc.db.sessions import current_db_session, current_sync_session
from pytest_svc.loop_policy import async_fixture

try:
    import factory.alchemy
except ImportError as exc:  # pragma: no cover - the import error is the message
    raise ImportError("pytest-svc's factories need factory-boy: pip install factory-boy") from exc

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - anyio-only setups
    pytest_asyncio = None  # type: ignore[assignment]

SESSION_OPTION_MESSAGE = (
    "pytest-svc: {factory} sets Meta.{option}, but SQLAlchemyFactory always adds to the test's db_session and "
    "flushes (never commits). Remove the option."
)
GET_OR_CREATE_MESSAGE = (
    "pytest-svc: {factory} looks objects up by {field!r} (Meta.sqlalchemy_get_or_create), but got no value for it."
)
NO_MODEL_MESSAGE = "pytest-svc: register({factory}) needs a factory with Meta.model."

_ModelT = TypeVar("_ModelT")
_FactoryT = TypeVar("_FactoryT", bound=type["SQLAlchemyFactory[Any]"])


class SQLAlchemyFactory(factory.alchemy.SQLAlchemyModelFactory, Generic[_ModelT]):
    """A factory-boy factory for a mapped model that saves into the running test's ``db_session``.

    ``await UserFactory.create_async(**fields)`` and ``await UserFactory.create_batch_async(n, **fields)`` add the
    objects to ``db_session`` and flush (never commit), so they get their keys and are rolled back with the test.
    ``UserFactory.build()`` stays synchronous and touches no session. ``SubFactory`` relations are created in
    the same session and flushed first, so ``factory.SelfAttribute("author.id")`` works;
    ``Meta.sqlalchemy_get_or_create`` works too. The test must have ``db_session`` (directly or through a
    fixture from :func:`register`); the session is found without passing it.
    """

    class Meta:
        abstract = True

    @classmethod
    async def create_async(cls, **kwargs: Any) -> _ModelT:
        """Create one object in ``db_session`` (added and flushed), with its SubFactories."""
        __tracebackhide__ = True
        return cast(_ModelT, await cls._run_in_session(lambda: cls.create(**kwargs)))

    @classmethod
    async def create_batch_async(cls, size: int, **kwargs: Any) -> list[_ModelT]:
        """Create ``size`` objects in ``db_session`` (added and flushed)."""
        __tracebackhide__ = True
        return cast(list[_ModelT], await cls._run_in_session(lambda: cls.create_batch(size, **kwargs)))

    @classmethod
    async def _run_in_session(cls, create: Callable[[], Any]) -> Any:
        __tracebackhide__ = True
        # factory-boy is synchronous; run_sync gives it db_session's synchronous Session inside SQLAlchemy's
        # greenlet, where flush() may do I/O. Each object is flushed as it is made, like factory-boy's own
        # sqlalchemy_session_persistence="flush", so a parent sees its SubFactory's key.
        session = current_db_session(f"{cls.__name__}.create_async()")

        def create_in_greenlet(_sync_session: Session) -> Any:
            __tracebackhide__ = True
            return create()

        return await session.run_sync(create_in_greenlet)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        meta: Any = cls._meta  # SQLAlchemyOptions sets its options dynamically
        refused = [
            option
            for option, is_set in (
                ("sqlalchemy_session", meta.sqlalchemy_session is not None),
                ("sqlalchemy_session_factory", meta.sqlalchemy_session_factory is not None),
                ("sqlalchemy_session_persistence", meta.sqlalchemy_session_persistence == "commit"),
            )
            if is_set
        ]
        if refused:
            raise TypeError(SESSION_OPTION_MESSAGE.format(factory=cls.__name__, option=refused[0]))
        session = current_sync_session(f"{cls.__name__}.create()", owner=cls.__name__)
        if meta.sqlalchemy_get_or_create:
            return cls._get_or_create(model_class, session, args, kwargs)
        return cls._save(model_class, session, args, kwargs)

    @classmethod
    def _get_or_create(cls, model_class: Any, session: Session, args: Any, kwargs: Any) -> Any:
        # factory-boy's own version answers an IntegrityError with session.rollback(), which would discard
        # everything the test wrote through db_session; here the error reaches the test instead.
        meta: Any = cls._meta
        lookup = {}
        for field in meta.sqlalchemy_get_or_create:
            if field not in kwargs:
                raise TypeError(GET_OR_CREATE_MESSAGE.format(factory=cls.__name__, field=field))
            lookup[field] = kwargs[field]
        found = session.scalars(select(model_class).filter_by(**lookup)).one_or_none()
        return found if found is not None else cls._save(model_class, session, args, kwargs)

    @classmethod
    def _save(cls, model_class: Any, session: Session, args: Any, kwargs: Any) -> Any:
        obj = model_class(*args, **kwargs)
        session.add(obj)
        session.flush()
        return obj


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _is_async_test(item: pytest.Item) -> bool:
    if pytest_asyncio is not None and pytest_asyncio.is_async_test(item):
        return True
    return inspect.iscoroutinefunction(getattr(item, "obj", None))


def register(factory_class: _FactoryT, name: str | None = None) -> _FactoryT:
    """Expose a :class:`SQLAlchemyFactory` as two fixtures in the calling test module or conftest.py.

    ``register(UserFactory)`` defines ``user``, a ``User`` created in ``db_session`` by ``create_async()``, and
    ``user_factory``, the factory class itself (names from the model class in snake case; ``name=`` renames the
    instance fixture, e.g. ``register(UserFactory, "author")``). ``user_factory`` in an async test also sets up
    ``db_session``, so ``await user_factory.create_async()`` needs nothing else; in a sync test only
    ``build()`` is available. Returns the factory class, so it also works as a class decorator.
    """
    model = factory_class._meta.model
    if model is None:
        raise TypeError(NO_MODEL_MESSAGE.format(factory=factory_class.__name__))
    snake = _snake_case(model.__name__)
    instance_name = name or snake
    factory_name = f"{snake}_factory"
    # Called at module level (or in a class body), the caller's locals are the namespace pytest collects.
    namespace = sys._getframe(1).f_locals

    def factory_fixture(request: pytest.FixtureRequest) -> Any:
        if _is_async_test(request.node):
            request.getfixturevalue("db_session")
        return factory_class

    # Defined here, the instance fixture's __module__ is pytest_svc.data.factories: the loop policy puts it under the
    # loop policy like the plugin's own async fixtures, on the test's loop under every runner.
    async def instance_fixture(db_session: Any) -> Any:
        del db_session  # requested so the session is bound, and set up on the test's loop, before creating
        return await factory_class.create_async()

    factory_fixture.__doc__ = (
        f"The {factory_class.__name__} factory class (from register()); in an async test create_async() writes "
        "into db_session."
    )
    instance_fixture.__doc__ = (
        f"A new {model.__name__}, created in db_session by {factory_class.__name__}.create_async() (from register())."
    )
    factory_fixture.__name__ = factory_fixture.__qualname__ = factory_name
    instance_fixture.__name__ = instance_fixture.__qualname__ = instance_name
    namespace[factory_name] = pytest.fixture(factory_fixture)
    namespace[instance_name] = async_fixture(instance_fixture)
    return factory_class
