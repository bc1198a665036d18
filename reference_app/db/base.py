"""The declarative base every model derives from, with constraint names fixed by convention."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints make Alembic diffs and database error messages stable across backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    # column_0_N_name: a composite unique constraint names all its columns, not just the first.
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model; ``Base.metadata`` holds the whole schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
