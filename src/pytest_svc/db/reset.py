"""Putting a test database back to its built state after a test committed behind the plugin's back.

Rare by design (the guard refuses commits it can see, see :mod:`.guards`), so simple over fast: every table the
database has (reflected, in each schema the schema source names) is emptied, children first, except Alembic's
version table, then ``pytest_svc_seed_db`` runs again; all in one transaction.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from pytest_svc.db.lifecycle import SchemaSource

_KEPT_TABLES = {"alembic_version"}


def reset_to_built_state(connection: Connection, source: SchemaSource) -> None:
    """Empty every table on ``connection`` (inside its transaction) and seed again, as a new database is seeded."""
    for schema in (None, *source.schemas):
        reflected = MetaData()
        reflected.reflect(connection, schema=schema)
        for table in reversed(reflected.sorted_tables):
            if table.name not in _KEPT_TABLES:
                connection.execute(table.delete())
    source.seed(connection)
