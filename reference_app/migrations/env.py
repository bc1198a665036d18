"""Alembic environment: migrations run on the app's async engine, against ``reference_app.db.Base.metadata``.

A connection handed over in ``config.attributes["connection"]`` (pytest-svc's ``svc_alembic_ini``) is used as
it is. Otherwise the database URL, first found wins: ``alembic -x url=postgresql+asyncpg://...``;
``sqlalchemy.url`` set on the ``Config`` by a caller (tests); the app's settings (``APP_DATABASE__URL``, else
their default).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import reference_app.models  # noqa: F401  (every table of the app, on Base.metadata)
from reference_app.db import Base, UTCDateTime
from reference_app.settings import get_settings

config = context.config
# Programmatic callers (tests) set configure_logger=False: fileConfig would replace their logging setup.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    """The URL to migrate: ``-x url=``, then the Config's ``sqlalchemy.url``, then the app's settings."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    return url or get_settings().database.url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write app column types as plain SQLAlchemy types: a revision must not break when app code changes."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: print the SQL instead of connecting."""
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
elif (shared := config.attributes.get("connection")) is not None:
    # A caller's connection (pytest-svc's test database, with svc_alembic_ini): Alembic's connection-sharing
    # recipe. The caller owns its transaction and its event loop.
    do_run_migrations(shared)
else:
    asyncio.run(run_async_migrations())
