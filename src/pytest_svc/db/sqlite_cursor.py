"""One trip to aiosqlite's thread per statement, for the tests' SQLite connections.

SQLAlchemy's aiosqlite adapter makes three trips per statement: it opens an aiosqlite cursor, executes (fetching
every row), and closes the cursor, each a round trip to the connection's thread (~90 us apiece on a 2-core
machine, ``benchmarks/test_fixture_overhead.py``). :class:`OneTripCursor` runs the same sqlite3 calls, in the
same thread, in one trip: open, execute, fetch every row, read ``description``, ``rowcount`` and ``lastrowid``,
close. What the app's statements do, and where they run, is unchanged; only the number of waits is. Hand-written
because neither aiosqlite nor SQLAlchemy offers it: aiosqlite's one-trip calls (``execute_fetchall``,
``execute_insert``) drop the description and row count SQLAlchemy needs.

A cancelled statement gets no worse either: the trip closes its sqlite3 cursor in the thread whatever happens,
so an interrupted statement is finalized there and then (see ``engines._interrupt_when_invalidated``).

Server-side cursors (``stream()``) keep SQLAlchemy's own class: they fetch as they go.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor
from sqlalchemy.util import EMPTY_DICT

Outcome = tuple[Any, int, int | None, Sequence[Any]]


def _run(sqlite: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    # In aiosqlite's thread.
    cursor = sqlite.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else ()
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, each statement in one trip to the connection's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor, so no trip to open one.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # nothing left open: the trip closed the sqlite3 cursor

    def close(self) -> None:
        self._rows.clear()

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection: Any = self._connection
            outcome: Outcome = await connection._execute(_run, connection._conn, operation, parameters, many)
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._trip(operation, seq_of_parameters, many=True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter, handing out :class:`OneTripCursor`."""

    __slots__ = ()
    _cursor_cls = OneTripCursor


def use_one_trip_cursors(dbapi_connection: Any) -> None:
    """Make a new connection of SQLAlchemy's aiosqlite adapter hand out :class:`OneTripCursor` (same layout)."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
