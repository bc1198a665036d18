"""The test connection's guard: what would break isolation is refused where it happens and reported in that test.

Each connection that holds tests' transactions gets one :class:`ConnectionGuard` for its life. While a test runs,
the guard holds a :class:`Watch` of it (its loop, its thread, the tasks that used the connection) and checks, in
SQLAlchemy's connection events (before any SQL reaches the driver):

- **loop and thread:** a statement from another event loop or thread is refused, naming both loops. asyncpg would
  fail on it half-way ("attached to a different loop"), leaving state that breaks the next test; aiosqlite would
  run it, outside the loop's ordering, and a root commit would really commit.
- **the test's own transaction:** ``commit()`` or ``rollback()`` of the connection itself, or a raw ``COMMIT``,
  ``ROLLBACK`` or ``END``, is refused: it would end the transaction that keeps tests apart.
- **commits through db_engine:** a commit on any other connection of the test engine while a test runs is refused:
  the data would outlive the test.
- **tasks:** a task that was already running when the test began (left over by an earlier test) is refused. At
  teardown, the test's own tasks that used the connection and are still running are cancelled, awaited for at
  most ``svc_db_teardown_timeout`` seconds, and named in the test's failure.

Every refusal is also recorded on the watch, so the test fails at teardown even when the code under test catches
the exception. A transaction ended behind SQLAlchemy's back (on the driver itself) is found at teardown by asking
the driver, without a round trip.

Hand-written: no library guards a SQLAlchemy connection per test; pytest-sqla and pytest-django check after the
fact at best.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

OWN_TRANSACTION_MESSAGE = (
    "pytest-svc: {test} {how} the test's own connection, ending the transaction that keeps tests apart; it was "
    "refused. Commit through db_session or the app's session instead: their commit() releases a savepoint inside "
    "the test's transaction, and the test still sees the data. Never commit or roll back db_connection, "
    "`await db_session.connection()` or the connection of a session."
)
ENGINE_COMMIT_MESSAGE = (
    "pytest-svc: {test} committed through {engine}, on a connection outside the test's transaction; the commit "
    "was refused, since its data would outlive the test. Write through db_session or db_connection, which the "
    "test's rollback undoes. App code that commits on an engine directly (engine.begin()) escapes any test's "
    "transaction: give it a session from the sessionmaker svc_db_bind names."
)
OTHER_LOOP_MESSAGE = (
    "pytest-svc: {test} used its database connection from {other}, but the connection belongs to the test's "
    "loop, {own}; it was refused before reaching the driver. Run that code on the test's loop: give an async "
    "fixture the test's loop scope (@pytest_asyncio.fixture(loop_scope=...) matching the test's), and serve an app "
    "that runs its own loop in a thread with live_server (its own process) instead."
)
LEFTOVER_TASK_MESSAGE = (
    "pytest-svc: the database connection was used by {task}, a task {origin}; it was refused, so it cannot write "
    "into {test}. Await (or cancel and await) the tasks a test starts before the test ends."
)
RUNNING_TASKS_MESSAGE = (
    "pytest-svc: {test} left {tasks} running that used its database session; cancelled at teardown, so they "
    "cannot write into the next test. Await (or cancel and await) the tasks a test starts before it ends, e.g. "
    "with an asyncio.TaskGroup."
)
STILL_RUNNING_MESSAGE = (
    "pytest-svc: {test}'s database teardown did not finish within {seconds:g} s (svc_db_teardown_timeout): {what}. "
    "The connection was closed, so the next test starts on a new one. End the test's tasks with the test, or raise "
    "the setting."
)
DRIVER_ENDED_MESSAGE = (
    "pytest-svc: {test} ended the test's transaction on the driver itself (a COMMIT or ROLLBACK SQLAlchemy did not "
    "see); what it wrote may have been committed, so the test database was reset to its built state (tables "
    "emptied, pytest_svc_seed_db run again). Commit through db_session instead."
)

# Ends the transaction; ROLLBACK TO [SAVEPOINT] and RELEASE do not.
_ENDS_TRANSACTION = re.compile(r"\s*(COMMIT|END|ABORT|ROLLBACK(?!\s+TO\b))\b", re.IGNORECASE)


class IsolationError(RuntimeError):
    """A use of the test's connection that would break isolation, refused before it reached the driver."""


def describe_loop(loop: asyncio.AbstractEventLoop | None, thread: threading.Thread) -> str:
    if loop is None:
        return f"no event loop, in thread {thread.name!r}"
    return f"event loop {type(loop).__name__} 0x{id(loop):x} in thread {thread.name!r}"


def describe_task(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    return f"task {task.get_name()!r} ({name})"


def _running() -> tuple[asyncio.AbstractEventLoop | None, asyncio.Task[Any] | None]:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None, None
    return loop, asyncio.current_task(loop)


@dataclasses.dataclass
class Watch:
    """One test's use of a guarded connection: where it may come from, who used it, what went wrong."""

    test: str
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    earlier_tasks: weakref.WeakSet[asyncio.Task[Any]]
    used_by: weakref.WeakSet[asyncio.Task[Any]] = dataclasses.field(default_factory=weakref.WeakSet)
    problems: list[str] = dataclasses.field(default_factory=list)

    def refuse(self, message: str) -> IsolationError:
        if message not in self.problems:
            self.problems.append(message)
        return IsolationError(message)

    def running_tasks(self) -> list[asyncio.Task[Any]]:
        """The test's tasks that used the connection and have not finished (the current task excepted)."""
        current = asyncio.current_task()
        return [task for task in self.used_by if not task.done() and task is not current]


# The tasks running the plugin's own setup and teardown of a test's transaction: never refused.
_plugin_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
_guards: weakref.WeakKeyDictionary[Connection, ConnectionGuard] = weakref.WeakKeyDictionary()


class ConnectionGuard:
    """Listens to one test connection's events for its whole life; checks them against the running test's watch."""

    def __init__(self, connection: Connection) -> None:
        self.watch: Watch | None = None
        self._last_test = "an earlier test"
        for name in ("begin", "savepoint", "release_savepoint", "rollback_savepoint"):
            event.listen(connection, name, self._on_use)
        event.listen(connection, "before_cursor_execute", self._on_statement)
        event.listen(connection, "commit", self._on_commit)
        event.listen(connection, "rollback", self._on_rollback)

    def start(self, test: str) -> Watch:
        """Watch ``test``, which runs on the current loop, until :meth:`stop`."""
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        earlier = weakref.WeakSet(task for task in asyncio.all_tasks(loop) if task is not current)
        self.watch = Watch(test, loop, threading.current_thread(), earlier)
        return self.watch

    def stop(self) -> None:
        if self.watch is not None:
            self._last_test = self.watch.test
        self.watch = None

    def _check(self) -> Watch | None:
        """The watch of the test allowed to use the connection now; None for the plugin itself. Raises otherwise."""
        loop, task = _running()
        if task is not None and task in _plugin_tasks:
            return None
        watch = self.watch
        if watch is None:
            origin = f"left running by {self._last_test}"
            what = describe_task(task) if task is not None else describe_loop(loop, threading.current_thread())
            raise IsolationError(LEFTOVER_TASK_MESSAGE.format(task=what, origin=origin, test="the next test"))
        if loop is not watch.loop or threading.current_thread() is not watch.thread:
            other = describe_loop(loop, threading.current_thread())
            own = describe_loop(watch.loop, watch.thread)
            raise watch.refuse(OTHER_LOOP_MESSAGE.format(test=watch.test, other=other, own=own))
        if task is not None:
            if task in watch.earlier_tasks:  # refused, not held against this test: the task is not its own
                origin = "already running when the test began (left by an earlier test)"
                raise IsolationError(
                    LEFTOVER_TASK_MESSAGE.format(task=describe_task(task), origin=origin, test=watch.test)
                )
            watch.used_by.add(task)
        return watch

    def _on_use(self, _connection: Connection, *_args: Any) -> None:
        self._check()

    def _on_statement(self, _conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        watch = self._check()
        if watch is not None and _ENDS_TRANSACTION.match(statement):
            how = f"ran {statement.strip().split()[0].upper()} on"
            raise watch.refuse(OWN_TRANSACTION_MESSAGE.format(test=watch.test, how=how))

    def _on_commit(self, _connection: Connection) -> None:
        if (watch := self._check()) is not None:
            raise watch.refuse(OWN_TRANSACTION_MESSAGE.format(test=watch.test, how="committed"))

    def _on_rollback(self, _connection: Connection) -> None:
        if (watch := self._check()) is not None:
            raise watch.refuse(OWN_TRANSACTION_MESSAGE.format(test=watch.test, how="rolled back"))


def guard_for(connection: AsyncConnection) -> ConnectionGuard:
    """The guard of a test connection, made the first time the connection serves a test."""
    sync = connection.sync_connection
    assert sync is not None
    guard = _guards.get(sync)
    if guard is None:
        guard = _guards[sync] = ConnectionGuard(sync)
    return guard


def _watched() -> Watch | None:
    return next((guard.watch for guard in _guards.values() if guard.watch is not None), None)


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return a.database not in (None, "", ":memory:") and os.path.abspath(a.database) == os.path.abspath(
            b.database or ""
        )
    return (a.host, a.port or 5432, a.database) == (b.host, b.port or 5432, b.database)


@contextlib.contextmanager
def commits_guarded(engine: AsyncEngine) -> Iterator[None]:
    """Inside the block, refuse commits while a test runs on every connection to ``engine``'s database but the
    test's own: ``db_engine.begin()``, and the app's own engine when it points at the test database."""
    url = engine.url

    def on_commit(connection: Connection) -> None:
        if connection in _guards:  # a test connection: its own guard decides
            return
        watch = _watched()
        if watch is None or (
            connection.engine is not engine.sync_engine and not _same_database(connection.engine.url, url)
        ):
            return
        _loop, task = _running()
        if task is None or task not in _plugin_tasks:
            which = (
                "db_engine"
                if connection.engine is engine.sync_engine
                else f"an engine of its own ({connection.engine.url!r})"
            )
            raise watch.refuse(ENGINE_COMMIT_MESSAGE.format(test=watch.test, engine=which))

    # Every Engine: the app's own engine on the test database commits outside the test's transaction just the same.
    event.listen(Engine, "commit", on_commit)
    try:
        yield
    finally:
        event.remove(Engine, "commit", on_commit)


@contextlib.contextmanager
def plugin_work() -> Iterator[None]:
    """Mark the current task as the plugin's own for the block (setup or teardown of a test's transaction)."""
    task = asyncio.current_task()
    if task is not None:
        _plugin_tasks.add(task)
    try:
        yield
    finally:
        if task is not None:
            _plugin_tasks.discard(task)


def driver_in_transaction(connection: Connection) -> bool | None:
    """Whether the driver itself is inside a transaction (asyncpg, aiosqlite), without a round trip; None if unknown.

    asyncpg starts SQLAlchemy's transaction on the first statement, so a connection that ran none says None.
    """
    adapted: Any = connection.connection.dbapi_connection
    driver: Any = getattr(adapted, "_connection", None)
    if hasattr(driver, "is_in_transaction"):  # asyncpg
        if getattr(adapted, "_transaction", None) is None:
            return None
        return bool(driver.is_in_transaction())
    if hasattr(driver, "in_transaction"):  # aiosqlite
        return bool(driver.in_transaction)
    return None
