"""Ending a test's transaction: bounded, whatever the test left behind, and the connection clean for the next test.

In order, all within ``svc_db_teardown_timeout`` seconds:

1. the test's tasks that used the connection and still run are cancelled and awaited (they would otherwise write
   into the next test, or hold the connection mid-statement: "another operation is in progress");
2. whatever transaction SQLAlchemy still holds on the connection is rolled back, an inactive one (left by a
   refused or failed commit) included, and one the driver alone still holds;
3. a transaction that was ended on the driver itself, behind SQLAlchemy's back, may have committed: the database
   is put back to its built state (:mod:`.reset`);
4. the sessions are closed.

If the time runs out, or the rollback fails, the connection is invalidated: the next test gets a new one, and the
server (or SQLite) rolls back what the closed connection held.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from pytest_svc.db.guards import (
    DRIVER_ENDED_MESSAGE,
    RUNNING_TASKS_MESSAGE,
    STILL_RUNNING_MESSAGE,
    Watch,
    describe_task,
    driver_in_transaction,
)
from pytest_svc.db.lifecycle import SchemaSource
from pytest_svc.db.reset import reset_to_built_state
from pytest_svc.db.sessions import TestTransaction

log = logging.getLogger(__name__)
_ABANDON_TIMEOUT = 2.0


def _driver_rollback(connection: Connection) -> None:
    adapted: Any = connection.connection.dbapi_connection
    adapted.rollback()


async def _roll_back(connection: AsyncConnection) -> bool:
    """Roll back what the connection holds; True when the test's transaction had been ended on the driver."""
    sync = connection.sync_connection
    assert sync is not None
    transaction = sync.get_transaction()
    on_driver = driver_in_transaction(sync)
    ended_on_driver = transaction is not None and transaction.is_active and on_driver is False
    if transaction is not None:
        await connection.rollback()  # an inactive transaction (a refused commit) is only let go of, not rolled back
    if driver_in_transaction(sync):
        await connection.run_sync(_driver_rollback)
    return ended_on_driver


async def _abandon(connection: AsyncConnection) -> None:
    try:
        async with asyncio.timeout(_ABANDON_TIMEOUT):
            await connection.invalidate()
    except Exception:  # the connection is unusable either way; the next test gets a new one
        log.debug("pytest-svc: invalidating a test connection failed", exc_info=True)


async def end_test_transaction(
    transaction: TestTransaction, watch: Watch, source: SchemaSource, time_limit: float
) -> list[str]:
    """End the test's transaction (see the module docstring); return what the test did wrong, for its failure."""
    connection = transaction.connection
    problems: list[str] = []
    running = watch.running_tasks()
    try:
        async with asyncio.timeout(time_limit):
            if running:
                for task in running:
                    task.cancel()
                await asyncio.wait(running)
                tasks = ", ".join(describe_task(task) for task in running)
                problems.append(RUNNING_TASKS_MESSAGE.format(test=watch.test, tasks=tasks))
            try:
                ended_on_driver = await _roll_back(connection)
            except Exception:
                log.debug("pytest-svc: rolling back a test's transaction failed", exc_info=True)
                ended_on_driver = False
                await _abandon(connection)
            if ended_on_driver:
                async with connection.begin():
                    await connection.run_sync(reset_to_built_state, source)
                problems.append(DRIVER_ENDED_MESSAGE.format(test=watch.test))
            await transaction.close_sessions()
    except TimeoutError:
        stuck = [describe_task(task) for task in running if not task.done()]
        what = ("still running: " + ", ".join(stuck)) if stuck else "the rollback did not return"
        problems.append(STILL_RUNNING_MESSAGE.format(test=watch.test, seconds=time_limit, what=what))
        await _abandon(connection)
    return watch.problems + problems
