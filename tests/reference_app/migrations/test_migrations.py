"""Alembic: ``upgrade head`` on an empty database builds exactly ``Base.metadata``, and ``downgrade base`` undoes it.

The migrations run through ``alembic.ini`` and ``env.py`` as the CLI runs them, on a database of their own: a
SQLite file, and on PostgreSQL (when the tests run against one) a database created and dropped here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, inspect, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

import reference_app.main  # noqa: F401  (the app's features put every table on Base.metadata)
from reference_app.db import Base

ALEMBIC_INI = Path(__file__).resolve().parents[3] / "alembic.ini"


def alembic_config(url: URL) -> Config:
    """The project's Alembic configuration, pointed at ``url``, leaving the test run's logging alone."""
    config = Config(str(ALEMBIC_INI))
    # configparser treats % as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


async def alembic(command_name: str, url: URL, revision: str) -> None:
    """Run ``alembic <command_name> <revision>`` on ``url``.

    In a worker thread: env.py runs its own event loop with ``asyncio.run``, which cannot start on the test's.
    """
    await asyncio.to_thread(getattr(command, command_name), alembic_config(url), revision)


def differences(connection: Connection) -> list[Any]:
    """What autogenerate would still change: empty when the database matches the models."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def check_round_trip(url: URL) -> None:
    await alembic("upgrade", url, "head")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
            tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
            assert tables == {*Base.metadata.tables, "alembic_version"}

        await alembic("downgrade", url, "base")

        async with engine.connect() as connection:
            tables = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
            assert tables == {"alembic_version"}
    finally:
        await engine.dispose()


def test_the_migrations_have_a_single_head() -> None:
    heads = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_heads()

    assert len(heads) == 1, f"merge the branches: alembic merge -m 'merge' {' '.join(heads)}"


@pytest.mark.asyncio
async def test_upgrade_head_builds_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    await check_round_trip(make_url(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"))


@contextlib.asynccontextmanager
async def empty_database_beside(db_engine: AsyncEngine) -> AsyncIterator[URL]:
    """A new, empty PostgreSQL database on the test database's server, dropped afterwards."""
    url = db_engine.url.set(database=f"{db_engine.url.database}_migrations")
    admin = create_async_engine(url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = admin.dialect.identifier_preparer.quote(url.database or "")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            await connection.execute(text(f"CREATE DATABASE {name}"))
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


@pytest.mark.asyncio
async def test_upgrade_head_builds_the_models_schema_on_postgresql(db_engine: AsyncEngine) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the tests run on SQLite; set SVC_DB_URL to a PostgreSQL URL to check the migrations there too")

    async with empty_database_beside(db_engine) as url:
        await check_round_trip(url)
