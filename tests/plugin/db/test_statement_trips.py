"""What a statement costs the test's connection: one trip to aiosqlite's thread on SQLite, no new statement per test.

Each inner run is a subprocess with a timeout. The SQLite cases count the trips to aiosqlite's thread (its
``Connection._execute``, the one door every call goes through) and check that what SQLAlchemy reads from the
cursor is what the stock cursor gives: rows, ``rowcount``, ``lastrowid``, server-side streaming, errors.
"""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import BACKENDS, backend_args

TIMEOUT = 120
SQLITE = {name: args for name, args in BACKENDS.items() if name.startswith("sqlite")}

TRIPS = """
import aiosqlite
import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sampleapp import Item

pytestmark = pytest.mark.asyncio

trips = []
_execute = aiosqlite.Connection._execute


async def counted(self, fn, *args, **kwargs):
    trips.append(getattr(fn, "__name__", repr(fn)))
    return await _execute(self, fn, *args, **kwargs)


aiosqlite.Connection._execute = counted


async def count_trips(awaitable):
    trips.clear()
    result = await awaitable
    return result, len(trips)


async def test_each_statement_is_one_trip(db_connection):
    result, n = await count_trips(db_connection.execute(insert(Item).values(name="a").returning(Item.id, Item.name)))
    assert n == 1
    assert result.all() == [(1, "a")]
    result, n = await count_trips(db_connection.execute(insert(Item), [{"name": "b"}, {"name": "c"}]))
    assert (n, result.rowcount) == (1, 2)
    renamed = update(Item).where(Item.name != "a").values(name=Item.name + "!")
    result, n = await count_trips(db_connection.execute(renamed))
    assert (n, result.rowcount) == (1, 2)
    result, n = await count_trips(db_connection.exec_driver_sql("INSERT INTO items (name) VALUES ('d')"))
    assert (n, result.lastrowid) == (1, 4)
    result, n = await count_trips(db_connection.execute(select(Item.name).order_by(Item.id)))
    assert n == 1
    assert result.scalars().all() == ["a", "b!", "c!", "d"]


async def test_columns_and_empty_results_read_as_before(db_connection):
    result = await db_connection.execute(select(Item.id, Item.name).where(Item.name == "nobody"))
    assert list(result.keys()) == ["id", "name"]
    assert result.all() == []


async def test_streaming_keeps_its_server_side_cursor(db_connection):
    await db_connection.execute(insert(Item), [{"name": f"s{i}"} for i in range(5)])
    result = await db_connection.stream(select(Item.name).order_by(Item.id))
    assert [name async for name in result.scalars()] == [f"s{i}" for i in range(5)]


async def test_errors_reach_the_test_as_before(db_session):
    db_session.add(Item(name="twice"))
    await db_session.commit()
    db_session.add(Item(name="twice"))
    with pytest.raises(IntegrityError, match="UNIQUE constraint failed: items.name"):
        await db_session.flush()
    await db_session.rollback()
    assert (await db_session.scalars(select(Item.name))).all() == ["twice"]


async def test_nothing_leaked(db_session):
    assert (await db_session.scalars(select(Item.name))).all() == []
"""


@pytest.mark.parametrize("backend", SQLITE)
def test_a_statement_on_sqlite_is_one_trip_to_aiosqlites_thread(sample_project: pytest.Pytester, backend: str) -> None:
    sample_project.makepyfile(TRIPS)
    result = sample_project.runpytest_subprocess(*backend_args(backend, SQLITE), "-p", "no:randomly", timeout=TIMEOUT)
    result.assert_outcomes(passed=5)


SAVEPOINT_NAMES = """
import pytest
from sqlalchemy import event
from sampleapp import Item

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("i", range(3))
async def test_savepoints_are_named_afresh(i, db_session, db_connection):
    names = []
    event.listen(db_connection.sync_connection, "before_cursor_execute", lambda _c, _k, sql, *_: names.append(sql))
    db_session.add(Item(name=f"item {i}"))
    await db_session.commit()  # the session's savepoint, released
    async with db_session.begin_nested():
        db_session.add(Item(name=f"nested {i}"))
    savepoints = [sql for sql in names if sql.startswith("SAVEPOINT")]
    assert savepoints == ["SAVEPOINT sa_savepoint_1", "SAVEPOINT sa_savepoint_2", "SAVEPOINT sa_savepoint_3"]
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_tests_savepoints_are_named_as_on_a_new_connection(sample_project: pytest.Pytester, backend: str) -> None:
    # The connection outlives the test; repeated names let asyncpg run SAVEPOINT from the statement cache.
    sample_project.makepyfile(SAVEPOINT_NAMES)
    result = sample_project.runpytest_subprocess(*backend_args(backend), "-p", "no:randomly", timeout=TIMEOUT)
    result.assert_outcomes(passed=3)
