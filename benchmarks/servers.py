"""The benchmarks' own databases on the PostgreSQL server: created and dropped outside any engine they measure."""

from __future__ import annotations

from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


async def pg_admin(url: URL, sql: str) -> list[str]:
    """Run one statement on ``url``'s server, through its ``postgres`` database in autocommit; first column back."""
    engine = create_async_engine(url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(sql))
            return [str(row[0]) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()
