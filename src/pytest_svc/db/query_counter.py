"""Counting SQL statements: ``query_counter`` and ``assert_max_queries`` for N+1 detection."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from pytest_svc.protocols import AssertMaxQueries

TOO_MANY_QUERIES_MESSAGE = (
    "expected at most {limit} SQL statement{plural}, {count} were executed:\n{statements}\n"
    "A query repeated per row is an N+1: load the relation with selectinload()/joinedload(), or fetch the rows in "
    "one query."
)

# The test harness's own transaction control is not the code under test.
_HARNESS_SQL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


class QueryCounter:
    """Records the SQL statements executed on ``db_engine`` while it listens (the whole test by default).

    ``count`` and ``statements`` cover everything so far; ``with counter.capture() as captured:`` records a
    block on its own. BEGIN, SAVEPOINT, RELEASE and ROLLBACK issued by the test transaction are not counted.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: list[str] = []
        self._listening = False

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _HARNESS_SQL.match(statement):
            self.statements.append(statement)

    def start(self) -> None:
        if not self._listening:
            from sqlalchemy import event

            event.listen(self._engine, "before_cursor_execute", self._record)
            self._listening = True

    def stop(self) -> None:
        if self._listening:
            from sqlalchemy import event

            event.remove(self._engine, "before_cursor_execute", self._record)
            self._listening = False

    @property
    def count(self) -> int:
        return len(self.statements)

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[str]]:
        """Collect the statements executed inside the block into the yielded list."""
        start = len(self.statements)
        captured: list[str] = []
        try:
            yield captured
        finally:
            captured.extend(self.statements[start:])


def format_statements(statements: list[str]) -> str:
    """The statements numbered, one per line, whitespace folded."""
    return "\n".join(f"  {number}. {' '.join(sql.split())}" for number, sql in enumerate(statements, 1))


@pytest.fixture
def query_counter(db_engine: AsyncEngine) -> Iterator[QueryCounter]:
    """A :class:`QueryCounter` recording every SQL statement this test runs on ``db_engine``.

    ``query_counter.count`` / ``.statements``; ``with query_counter.capture() as sql: ...`` for one block.
    """
    counter = QueryCounter(db_engine)
    counter.start()
    try:
        yield counter
    finally:
        counter.stop()


@pytest.fixture
def assert_max_queries(query_counter: QueryCounter) -> AssertMaxQueries:
    """Fail if the block runs more than ``n`` SQL statements: ``with assert_max_queries(2): await client.get(...)``.

    The failure lists every statement, numbered, so the N+1 query stands out.
    """

    @contextlib.contextmanager
    def _assert_max_queries(n: int) -> Iterator[list[str]]:
        __tracebackhide__ = True
        with query_counter.capture() as captured:
            yield captured
        if len(captured) > n:
            message = TOO_MANY_QUERIES_MESSAGE.format(
                limit=n, plural="" if n == 1 else "s", count=len(captured), statements=format_statements(captured)
            )
            pytest.fail(message, pytrace=False)

    return _assert_max_queries
