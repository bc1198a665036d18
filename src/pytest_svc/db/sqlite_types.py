"""What SQLite needs from a model's DDL, rendered only on the plugin's own SQLite engines.

Two things, both in the column DDL (``CreateColumn``), through SQLAlchemy's documented ``@compiles`` extension:

- SQLite numbers rows only for a single-column primary key declared exactly ``INTEGER`` (the rowid alias).
  ``BigInteger`` and ``SmallInteger`` keys render ``BIGINT`` / ``SMALLINT`` and get no numbers: every insert fails
  with ``NOT NULL constraint failed``. The autoincrement key of an integer type renders ``INTEGER`` instead (same
  values, same affinity).
- A column type SQLite's compiler refuses (``ARRAY``, ``INET``, ``TSVECTOR``, ``HSTORE``, ...) stops the build
  with :class:`UnsupportedColumnType`, naming the column, its type and the fix.

Only dialects registered with :func:`render_for_sqlite` (the plugin's test engines) are affected: the user's
metadata and their own engines render exactly as before, and PostgreSQL's DDL is never touched.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import UnsupportedCompilationError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import Column, CreateColumn
from sqlalchemy.sql.compiler import DDLCompiler

UNSUPPORTED_TYPE_MESSAGE = (
    "pytest-svc: column {column} has type {type}, which SQLite (the embedded default database) cannot hold.\n"
    "  Test on PostgreSQL: --svc-db-url postgresql+asyncpg://postgres@127.0.0.1:5432/<name> (or SVC_DB_URL), "
    'or give the column a type SQLite has, e.g. {type}(...).with_variant(JSON(), "sqlite").'
)

_rendering_dialects: weakref.WeakSet[Dialect] = weakref.WeakSet()


class UnsupportedColumnType(Exception):
    """A model column has a type SQLite cannot hold; the message names the column and the fix."""


def render_for_sqlite(engine: AsyncEngine) -> None:
    """Let ``engine``'s DDL render integer autoincrement keys as ``INTEGER`` and refuse types SQLite lacks."""
    _rendering_dialects.add(engine.dialect)


def _is_rowid_key(column: Column[Any], dialect: Dialect) -> bool:
    table = column.table
    return (
        table.autoincrement_column is column
        and len(table.primary_key.columns) == 1
        and issubclass(column.type.dialect_impl(dialect)._type_affinity or type(None), Integer)
    )


@compiles(CreateColumn, "sqlite")
def _create_column(element: CreateColumn, compiler: DDLCompiler, **kw: Any) -> str:
    if compiler.dialect not in _rendering_dialects:
        return str(compiler.visit_create_column(element, **kw))  # type: ignore[no-untyped-call]
    column = element.element
    try:
        text = str(compiler.visit_create_column(element, **kw))  # type: ignore[no-untyped-call]
    except UnsupportedCompilationError:
        name = f"{column.table.fullname}.{column.name}"
        raise UnsupportedColumnType(
            UNSUPPORTED_TYPE_MESSAGE.format(column=name, type=type(column.type).__name__)
        ) from None
    if _is_rowid_key(column, compiler.dialect):
        type_text = str(compiler.dialect.type_compiler_instance.process(column.type, type_expression=column))
        declared = f"{compiler.preparer.format_column(column)} {type_text}"
        if type_text != "INTEGER" and text.startswith(declared):
            text = f"{compiler.preparer.format_column(column)} INTEGER{text[len(declared) :]}"
    return text
