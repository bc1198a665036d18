"""query_counter and assert_max_queries: count the statements the code under test runs, and catch N+1 loops."""

from __future__ import annotations

import pytest

# Records every statement on the engine, harness transaction control included, from before the test's
# transaction begins; a fixture, so it is set up ahead of the fixtures that open that transaction.
ALL_SQL_CONFTEST = """
import pytest
from sqlalchemy import event

@pytest.fixture
def all_sql(db_engine):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db_engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(db_engine.sync_engine, "before_cursor_execute", record)
"""


def test_query_counter_counts_the_statements_a_request_runs(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_list_items_is_one_select(client, query_counter):
            before = query_counter.count
            assert (await client.get("/items")).status_code == 200
            assert query_counter.count == before + 1
            assert query_counter.statements[-1].lstrip().upper().startswith("SELECT")
            with query_counter.capture() as captured:
                await client.get("/items")
                await client.get("/items/count")
            assert [sql.split()[0].upper() for sql in captured] == ["SELECT", "SELECT"]
            assert query_counter.count == before + 3
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


def test_query_counter_leaves_out_transaction_control(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(ALL_SQL_CONFTEST)
    sample_project.makepyfile(
        """
        import pytest

        HARNESS = {"BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT"}

        def verb(sql):
            return sql.split()[0].upper()

        @pytest.mark.asyncio
        async def test_only_the_apps_sql_counts(all_sql, query_counter, client):
            assert (await client.post("/items/a")).status_code == 201
            assert (await client.post("/items/b/then-rollback")).status_code == 200
            assert (await client.get("/items")).json() == ["a"]
            # The app's commit and rollback ran as savepoints: the harness did issue transaction control...
            assert {"SAVEPOINT", "RELEASE", "ROLLBACK"} <= {verb(sql) for sql in all_sql}
            # ...and the counter kept exactly the rest.
            assert query_counter.statements == [sql for sql in all_sql if verb(sql) not in HARNESS]
            assert [verb(sql) for sql in query_counter.statements] == ["INSERT", "INSERT", "SELECT"]
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


def test_assert_max_queries_passes_within_the_limit_and_lists_an_n_plus_1(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_one_query(client, assert_max_queries):
            with assert_max_queries(1) as captured:
                assert (await client.get("/items")).json() == []
            assert len(captured) == 1

        async def test_exactly_at_the_limit(db_session, assert_max_queries):
            with assert_max_queries(3):
                for item_id in (1, 2, 3):
                    await db_session.get(Item, item_id)

        async def test_n_plus_1(db_session, assert_max_queries):
            with assert_max_queries(1):
                for item_id in (1, 2, 3):
                    await db_session.get(Item, item_id)
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_n_plus_1 _*",
            "expected at most 1 SQL statement, 3 were executed:",
            "  1. SELECT *items*",
            "  2. SELECT *items*",
            "  3. SELECT *items*",
            "A query repeated per row is an N+1: *selectinload()*",
        ],
        consecutive=False,
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*await db_session.get(Item, item_id)*")
    result.stdout.no_fnmatch_line("*  4. *")
