"""Named schemas (``__table_args__ = {"schema": "auth"}``, ``MetaData(schema=...)``) on each backend.

PostgreSQL: each schema is created inside the test database, so it goes with the database. SQLite has no
schemas but attached databases, addressed the same way (``auth.users``): every connection the plugin makes
attaches one per schema. In memory, a shared-cache memory database named after the test database (see
:mod:`.engines`); for a file database, one file per schema in
a directory beside it (``test_app.db-schemas/auth.db``), removed with it. The directory is what lets an engine
in another process (the live server's) attach the same schemas from the database's path alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateSchema

MEMORY = ":memory:"


def schema_names(metadata: MetaData | None) -> tuple[str, ...]:
    """The named schemas ``metadata``'s tables live in (its default ``MetaData(schema=...)`` included)."""
    if metadata is None:
        return ()
    names = {table.schema for table in metadata.tables.values() if table.schema}
    if metadata.schema:
        names.add(metadata.schema)
    return tuple(sorted(names))


def schema_directory(database: Path) -> Path:
    """Where the attached databases of the SQLite file ``database`` live: ``<file>-schemas/``."""
    return database.with_name(f"{database.name}-schemas")


def schema_files(database: Path, names: tuple[str, ...]) -> dict[str, str]:
    """The file each schema of the SQLite file ``database`` is attached from."""
    directory = schema_directory(database)
    return {name: str(directory / f"{name}.db") for name in names}


def attached_files(database: Path) -> dict[str, str]:
    """The schemas the plugin built beside the SQLite file ``database`` (none when it built none)."""
    directory = schema_directory(database)
    if not directory.is_dir():
        return {}
    return {path.stem: str(path) for path in sorted(directory.glob("*.db"))}


def attach_schemas(dbapi_connection: Any, files: Mapping[str, str]) -> None:
    """Attach each schema (name to a file, or ``:memory:``) to a new SQLite DBAPI connection."""
    cursor = dbapi_connection.cursor()
    try:
        for name, file in files.items():
            quoted = '"' + name.replace('"', '""') + '"'
            cursor.execute(f"ATTACH DATABASE ? AS {quoted}", (file,))
    finally:
        cursor.close()


def create_postgres_schemas(connection: Connection, names: tuple[str, ...]) -> None:
    """Create the named schemas in the test database (``IF NOT EXISTS``: a reused database has them)."""
    for name in names:
        connection.execute(CreateSchema(name, if_not_exists=True))
