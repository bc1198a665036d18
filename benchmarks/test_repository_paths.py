"""Repository paths at depth: keyset vs offset pages, bulk vs one-by-one inserts, on SQLite and PostgreSQL.

Each measurement runs on one event loop reused for every round (no loop set-up inside the timing), against
25,000 documents. Pairs are read as ratios by ``ratios.py``:

- ``cursor page 500`` / ``cursor page 1``: keyset pagination should cost about the same at any depth;
- ``offset page 500`` / ``offset page 1``: OFFSET makes the database walk past every earlier row;
- ``1 bulk_create of 1000`` / ``1000 creates``;
- ``get`` by primary key, and ``upsert`` on its insert path and on its conflict path (the existing-key round also
  creates the row it collides with, so it reads as an upper bound).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from benchmarks.servers import pg_admin
from reference_app.db import Base
from reference_app.documents.models import Document, Tag
from reference_app.repository import BaseRepository

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

ROWS = 25_000
PAGE = 50
DEEP_PAGE = 500
PG_URL = make_url(os.environ.get("SVC_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/svc_bench_repo"))
documents = BaseRepository(Document, cursor_key=b"benchmark-cursor-key")
tags = BaseRepository(Tag)


class Database:
    """A seeded database and the one loop every round runs on."""

    def __init__(self, runner: asyncio.Runner, engine: AsyncEngine) -> None:
        self.runner = runner
        self.engine = engine

    def run(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """Run ``work`` in a session inside a transaction that is rolled back, on the shared loop."""

        async def in_rolled_back_transaction() -> Any:
            async with self.engine.connect() as connection:
                transaction = await connection.begin()
                try:
                    async with AsyncSession(bind=connection, expire_on_commit=False) as session:
                        return await work(session)
                finally:
                    await transaction.rollback()

        return self.runner.run(in_rolled_back_transaction())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    backend: str = request.param
    with asyncio.Runner() as runner:
        if backend == "postgresql":
            try:
                runner.run(pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{PG_URL.database}"'))
            except Exception as exc:
                pytest.skip(f"no PostgreSQL at {PG_URL.render_as_string()}: {type(exc).__name__}: {exc}")
            runner.run(pg_admin(PG_URL, f'CREATE DATABASE "{PG_URL.database}"'))
            engine = create_async_engine(PG_URL)
        else:
            engine = create_async_engine("sqlite+aiosqlite://")

        async def seed() -> None:
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
                rows = [{"title": f"document {n:05}", "body": "", "tenant_id": "bench"} for n in range(ROWS)]
                await connection.execute(insert(Document), rows)
                if backend == "postgresql":
                    await connection.execute(text("ANALYZE documents"))

        runner.run(seed())
        try:
            yield Database(runner, engine)
        finally:
            runner.run(engine.dispose())
            if backend == "postgresql":
                runner.run(pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{PG_URL.database}" WITH (FORCE)'))


def _measure(benchmark: BenchmarkFixture, database: Database, name: str, work: Callable[[AsyncSession], Any]) -> Any:
    backend = database.engine.dialect.name
    benchmark.group = f"{backend}: repository"
    benchmark.name = f"{backend}: {name}"
    benchmark.extra_info.update(backend=backend, path=name)
    return benchmark.pedantic(database.run, args=(work,), rounds=30, iterations=1, warmup_rounds=3)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("page", [1, DEEP_PAGE])
def test_paginate_offset(benchmark: BenchmarkFixture, database: Database, page: int) -> None:
    async def work(session: AsyncSession) -> Any:
        return await documents.paginate_offset(session, PAGE, (page - 1) * PAGE, order_by="id")

    result = _measure(benchmark, database, f"offset page {page}", work)
    assert result.items[0].title == f"document {(page - 1) * PAGE:05}"
    assert result.total == ROWS


@pytest.mark.parametrize("page", [1, DEEP_PAGE])
def test_paginate_cursor(benchmark: BenchmarkFixture, database: Database, page: int) -> None:
    async def cursor_of_page() -> str | None:
        # Walk to the page once, outside the timing: the cursor a client would hold after page - 1 pages.
        cursor: str | None = None
        async with AsyncSession(database.engine) as session:
            for _ in range(page - 1):
                cursor = (await documents.paginate_cursor(session, PAGE, cursor, order_by="id")).next_cursor
        return cursor

    cursor = database.runner.run(cursor_of_page())

    async def work(session: AsyncSession) -> Any:
        return await documents.paginate_cursor(session, PAGE, cursor, order_by="id")

    result = _measure(benchmark, database, f"cursor page {page}", work)
    assert result.items[0].title == f"document {(page - 1) * PAGE:05}"


def test_bulk_create(benchmark: BenchmarkFixture, database: Database) -> None:
    async def work(session: AsyncSession) -> Any:
        return await documents.bulk_create(session, [Document(title=f"bulk {n}", body="") for n in range(1000)])

    assert len(_measure(benchmark, database, "1 bulk_create of 1000", work)) == 1000


def test_single_creates(benchmark: BenchmarkFixture, database: Database) -> None:
    async def work(session: AsyncSession) -> Any:
        return [await documents.create(session, Document(title=f"one {n}", body="")) for n in range(1000)]

    assert len(_measure(benchmark, database, "1000 creates", work)) == 1000


def test_get(benchmark: BenchmarkFixture, database: Database) -> None:
    async def work(session: AsyncSession) -> Any:
        return await documents.get(session, ROWS // 2)

    assert _measure(benchmark, database, "get", work).title == f"document {ROWS // 2 - 1:05}"


@pytest.mark.parametrize("path", ["upsert, new key", "upsert, existing key"])
def test_upsert(benchmark: BenchmarkFixture, database: Database, path: str) -> None:
    name = "fresh" if path.endswith("new key") else "taken"

    async def work(session: AsyncSession) -> Any:
        if name == "taken":
            await tags.create(session, Tag(name="taken", tenant_id="bench"))
        return await tags.upsert(session, {"name": name, "tenant_id": "bench"}, index_elements=["tenant_id", "name"])

    assert _measure(benchmark, database, path, work).name == name
