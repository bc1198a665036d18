"""Rows of any mapped model in one call: ``make_test_model``, which fills every required column it is not given."""

from __future__ import annotations

import enum
import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

# SQLAlchemy is imported by the helpers below, when a test first makes a row.
if TYPE_CHECKING:
    from sqlalchemy import Column
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Mapper
    from sqlalchemy.types import TypeEngine

    from pytest_svc.protocols import MakeTestModel

NO_VALUE_MESSAGE = (
    "pytest-svc: make_test_model cannot invent a value for {model}.{column} (type {type}); pass it: "
    "make_test_model({model}, {key}=...)."
)
FOREIGN_KEY_LOOP_MESSAGE = (
    "pytest-svc: make_test_model cannot fill {model}.{column}: the required foreign keys form a loop back to "
    "{model}; pass {key}=... (an existing row's key)."
)

_ModelT = TypeVar("_ModelT")
_numbers = itertools.count(1)


def _datetime_now(type_: TypeEngine[Any]) -> datetime:
    now = datetime.now(UTC)
    # A column without time zone gets a naive UTC value: asyncpg refuses aware ones there.
    return now if getattr(type_, "timezone", False) else now.replace(tzinfo=None)


# Values by the column type's Python type, from the column's name and a fresh number.
_BY_PYTHON_TYPE: dict[type, Callable[[str, int], Any]] = {
    bool: lambda _name, _number: False,
    int: lambda _name, number: number,
    float: lambda _name, number: float(number),
    Decimal: lambda _name, number: Decimal(number),
    bytes: lambda name, number: f"{name}-{number}".encode(),
    uuid.UUID: lambda _name, _number: uuid.uuid4(),
    date: lambda _name, _number: datetime.now(UTC).date(),
    time: lambda _name, _number: time(12, 0),
    timedelta: lambda _name, _number: timedelta(0),
    list: lambda _name, _number: [],
}


def _plausible(column: Column[Any], number: int) -> Any:
    """A value for ``column`` from its type, or None; numbered, so unique constraints hold across calls."""
    from sqlalchemy.types import JSON, TypeDecorator

    type_: TypeEngine[Any] = column.type
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, JSON):  # its python_type is object
        return {}
    try:
        python_type = type_.python_type
    except NotImplementedError:
        return None
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        return next(iter(python_type))
    if python_type is str:
        if enums := getattr(type_, "enums", None):  # a string Enum("a", "b")
            return enums[0]
        text = f"user{number}@example.com" if "email" in column.name else f"{column.name}-{number}"
        length = getattr(type_, "length", None)
        return text[-length:] if length else text
    if python_type is datetime:
        return _datetime_now(type_)
    make = _BY_PYTHON_TYPE.get(python_type)
    return make(column.name, number) if make is not None else None


def _needs_value(column: Column[Any]) -> bool:
    if column.nullable or column.default is not None or column.server_default is not None:
        return False
    # The database numbers an autoincrementing integer key itself.
    return not (column.primary_key and column is column.table.autoincrement_column)


def _mapper_for_table(mapper: Mapper[Any], table: Any) -> Mapper[Any] | None:
    return next((other for other in mapper.registry.mappers if other.local_table is table), None)


async def create_test_model(
    session: AsyncSession, model: type[_ModelT], values: dict[str, Any], parents: tuple[type[Any], ...] = ()
) -> _ModelT:
    """Add a ``model`` with ``values`` and plausible values for its other required columns, and flush."""
    from sqlalchemy import Column, inspect

    mapper = inspect(model)
    number = next(_numbers)
    filled = dict(values)
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in filled or not isinstance(column, Column) or not _needs_value(column):
            continue
        if column.foreign_keys:
            # A required reference: make the referenced row too (it may need its own parents).
            foreign_key = next(iter(column.foreign_keys))
            target = _mapper_for_table(mapper, foreign_key.column.table)
            if target is None or target.class_ in (model, *parents):
                raise TypeError(FOREIGN_KEY_LOOP_MESSAGE.format(model=model.__name__, column=column.name, key=prop.key))
            parent = await create_test_model(session, target.class_, {}, (*parents, model))
            filled[prop.key] = getattr(parent, target.get_property_by_column(foreign_key.column).key)
            continue
        value = _plausible(column, number)
        if value is None:
            raise TypeError(
                NO_VALUE_MESSAGE.format(model=model.__name__, column=column.name, type=column.type, key=prop.key)
            )
        filled[prop.key] = value
    instance = model(**filled)
    session.add(instance)
    await session.flush()
    return instance


@pytest.fixture
def make_test_model(db_session: AsyncSession) -> MakeTestModel:
    """Create a row of any mapped model in ``db_session``: ``await make_test_model(Book, title="Dune")``.

    Columns you pass are used as given; every other required column (not nullable, no default, no server
    default, not an autoincrementing key) gets a plausible value from its type: numbered strings (emails for
    columns named ``*email*``, cut to the column's length), numbers, ``False``, today, now in UTC (naive for
    columns without time zone), the first enum member, a uuid4, ``{}`` for JSON. A required foreign key gets a
    new referenced row, made the same way. The instance is added and flushed (never committed), so it has its
    key; it is rolled back with the test.
    """

    async def _make_test_model(model: type[_ModelT], /, **values: Any) -> _ModelT:
        return await create_test_model(db_session, model, values)

    return _make_test_model
