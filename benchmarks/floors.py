"""The floors under db_session's per-test cost on this machine: what one test's statements cannot cost less than.

A test with one INSERT through ``db_session`` makes four trips to the driver (BEGIN, SAVEPOINT, INSERT, ROLLBACK)
and one ORM flush; a function loop adds pytest-asyncio's trips through its runner. This prints each floor
beside the others, measured in one process (the median of five repeats of N):

- a trip to aiosqlite's thread (``execute_fetchall("SELECT 1")``: one call, one trip);
- a round trip to PostgreSQL through asyncpg (``fetchval("SELECT 1")``, its statement prepared already);
- the ORM's own work for one INSERT in a savepoint, with no I/O wait at all (sync SQLAlchemy on sqlite3 in
  memory: BEGIN, SAVEPOINT, INSERT, ROLLBACK);

so that ``4 x trip + flush`` reads beside the targets in ``report.py``. Run it from the project root::

    .venv/bin/python -m benchmarks.floors [URL]   # URL: SVC_BENCH_PG_URL's server, else the default below
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from benchmarks.benchmodel import Base, Item

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
N = 2000
REPEATS = 5


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) / N * 1e6


async def _timed(step: Callable[[], Awaitable[object]]) -> float:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(N):
            await step()
        samples.append(time.perf_counter() - start)
    return _median_us(samples)


async def aiosqlite_trip() -> float:
    import aiosqlite

    async with aiosqlite.connect(":memory:") as connection:
        return await _timed(lambda: connection.execute_fetchall("SELECT 1"))


async def asyncpg_round_trip(url: str) -> float:
    import asyncpg  # type: ignore[import-untyped]

    # The server's own database: the benchmark's may not exist.
    server = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await connection.fetchval("SELECT 1")
        return await _timed(lambda: connection.fetchval("SELECT 1"))
    finally:
        await connection.close()


def orm_flush_without_io() -> float:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    samples = []
    with engine.connect() as connection:
        Base.metadata.create_all(connection)
        connection.commit()
        for _ in range(REPEATS):
            start = time.perf_counter()
            for _ in range(N):
                transaction = connection.begin()
                session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
                session.add(Item(name="x"))
                session.flush()
                session.close()
                transaction.rollback()
            samples.append(time.perf_counter() - start)
    engine.dispose()
    return _median_us(samples)


def main() -> None:
    trip = asyncio.run(aiosqlite_trip())
    flush = orm_flush_without_io()
    print(f"aiosqlite: one trip to its thread                {trip:7.1f} us")
    print(f"ORM: one INSERT in a savepoint, no I/O wait       {flush:7.1f} us")
    print(f"  floor, SQLite: 4 trips + flush                  {(4 * trip + flush) / 1000:7.2f} ms")
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SVC_BENCH_PG_URL", DEFAULT_PG_URL)
    try:
        round_trip = asyncio.run(asyncpg_round_trip(url))
    except Exception as exc:  # no server, or none that lets us in: the SQLite floors stand alone
        print(f"asyncpg: no PostgreSQL at {url} ({type(exc).__name__}: {exc}); its floor is left out")
        return
    print(f"asyncpg: one round trip to PostgreSQL             {round_trip:7.1f} us")
    print(f"  floor, PostgreSQL: 4 round trips + flush        {(4 * round_trip + flush) / 1000:7.2f} ms")


if __name__ == "__main__":
    main()
