"""A test database in use by a live run: claimed for the whole run, so no other run drops or replaces it.

Two runs with the same ``--svc-db-url`` (two terminals, two CI jobs on one server) derive the same
``test_<name>``. Before a run creates, reuses or drops a test database it claims the name; a run that finds
the name claimed takes the next one (``test_<name>_2``, ``_3``, ...) and says so at the end of its run.

A claim is released by whoever holds it dying, so a run that crashed or was killed never counts as live:

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``, keyed on the test database's name), held on a
  connection to the server's ``postgres`` database for the whole run. The server releases it when the
  connection ends, which the kernel does when the process dies.
- A SQLite file: ``flock`` on a lock file beside it (``test_<name>.db.lock``), released by the kernel when the
  process exits.

The holder's connection lives on a loop of its own in a daemon thread: the session's work runs on short-lived
private loops (:func:`pytest_svc.db.lifecycle.run_blocking`), and a connection cannot outlive its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import os
import socket
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar

from pytest_svc.db.target import POSTGRES_NAME_LIMIT, DatabaseTarget

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# test_<name>, then test_<name>_2 ... test_<name>_<MAX_CLAIMS>: enough for every terminal and CI job on one host.
MAX_CLAIMS = 9
CLAIM_TIMEOUT_SECONDS = 30.0
LOCK_SUFFIX = ".lock"
IN_USE_NOTE = "pytest-svc: {name} is in use by another run{holder}; this run used {used}, dropped at the end{reuse}."
REUSE_NOTE = " (--svc-reuse-db keeps and reuses only the first name)"
ALL_IN_USE_MESSAGE = (
    "pytest-svc: the test databases {first} to {last} are all in use by other live runs (--svc-db-url / "
    "SVC_DB_URL). Wait for one to finish, or give this run a database name of its own in --svc-db-url."
)
NAME_TOO_LONG_MESSAGE = (
    "pytest-svc: the test database {name!r} is in use by another run, and the next name, {next!r}, is longer "
    "than PostgreSQL's {limit}. Give this run a shorter database name in --svc-db-url / SVC_DB_URL."
)
_T = TypeVar("_T")


class ClaimError(Exception):
    """No test database name could be claimed; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Claim:
    """The test database this run holds: ``target`` (the first free name), and ``note``, when it is not the first.

    ``first_choice`` is True when the run holds ``test_<name>`` itself: only that one is kept by
    ``--svc-reuse-db``; a run on a later name always starts fresh and drops it at the end.
    """

    target: DatabaseTarget
    first_choice: bool
    note: str | None


class _Holder(Protocol):
    def try_claim(self, name: str) -> bool: ...

    def holder_of(self, name: str) -> str | None: ...

    def release(self) -> None: ...


def numbered(target: DatabaseTarget, number: int) -> DatabaseTarget:
    """``target`` with the claim number appended to the test database's name (1: the name unchanged)."""
    if number == 1:
        return target
    if target.kind == "sqlite-file":
        path = Path(target.test_name)
        database = str(path.with_stem(f"{path.stem}_{number}"))
    else:
        database = f"{target.test_name}_{number}"
    return dataclasses.replace(target, test_url=target.test_url.set(database=database))


def _who() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


class _LoopThread:
    """An event loop running in a daemon thread, for a connection that must outlive the session's private loops."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="pytest-svc-claim", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(CLAIM_TIMEOUT_SECONDS)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(CLAIM_TIMEOUT_SECONDS)
        if not self._thread.is_alive():
            self.loop.close()


def _lock_key(name: str) -> int:
    # One signed 64-bit key per test database name; pytest-svc's prefix keeps it apart from the app's own locks.
    digest = hashlib.blake2b(f"pytest-svc:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _PostgresHolder:
    """One connection to the server's ``postgres`` database that holds the advisory lock of the claimed name.

    Every run's claims meet on that one database: advisory locks are scoped to the database they are taken in.
    """

    def __init__(self, target: DatabaseTarget) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine
        from sqlalchemy.pool import NullPool

        self._thread = _LoopThread()
        # Seen by the other run in pg_stat_activity: who holds its name.
        settings = {"application_name": f"pytest-svc {_who()}"[:63]}
        self._engine: AsyncEngine = create_async_engine(
            target.url.set(database="postgres"),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"server_settings": settings},
        )
        try:
            self._connection: AsyncConnection = self._thread.run(self._connect())
        except BaseException:
            self._thread.run(self._engine.dispose())
            self._thread.stop()
            raise

    async def _connect(self) -> AsyncConnection:
        return await self._engine.connect()

    async def _scalar(self, sql: str, **params: object) -> object:
        from sqlalchemy import text

        return (await self._connection.execute(text(sql), params)).scalar()

    def try_claim(self, name: str) -> bool:
        return bool(self._thread.run(self._scalar("SELECT pg_try_advisory_lock(:key)", key=_lock_key(name))))

    def holder_of(self, name: str) -> str | None:
        # A bigint advisory lock shows in pg_locks as classid (high 32 bits), objid (low 32 bits), objsubid 1.
        key = _lock_key(name) & 0xFFFFFFFFFFFFFFFF
        sql = (
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low LIMIT 1"
        )
        try:
            holder = self._thread.run(self._scalar(sql, high=key >> 32, low=key & 0xFFFFFFFF))
        except Exception:  # who holds it only adorns the note
            return None
        prefix = "pytest-svc "
        return holder[len(prefix) :] if isinstance(holder, str) and holder.startswith(prefix) else None

    def release(self) -> None:
        # Closing the connection releases the lock: the server ends the session's advisory locks with it.
        try:
            self._thread.run(self._connection.close())
            self._thread.run(self._engine.dispose())
        finally:
            self._thread.stop()


class _FileHolder:
    """An exclusive ``flock`` on ``<test file>.lock``, the file holding who has it (pid and host)."""

    def __init__(self) -> None:
        self._held: tuple[Path, IO[str]] | None = None

    def try_claim(self, name: str) -> bool:
        import fcntl

        path = Path(name + LOCK_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = path.open("a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            # The holder before us may have removed the file between our open and our lock: then what we
            # locked is no longer the lock file, and another run may be locking the new one. Try again.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                    break
            handle.close()
        handle.seek(0)
        handle.truncate()
        handle.write(_who())
        handle.flush()
        self._held = (path, handle)
        return True

    def holder_of(self, name: str) -> str | None:
        try:
            return Path(name + LOCK_SUFFIX).read_text().strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self._held is None:
            return
        path, handle = self._held
        self._held = None
        # Removed while still locked: a run that opened it meanwhile sees the file gone and opens a new one.
        path.unlink(missing_ok=True)
        handle.close()


def _check_length(target: DatabaseTarget, number: int) -> None:
    if target.kind != "postgresql":
        return
    following = numbered(target, number).test_name
    if len(following) > POSTGRES_NAME_LIMIT:
        previous = numbered(target, number - 1).test_name
        raise ClaimError(NAME_TOO_LONG_MESSAGE.format(name=previous, next=following, limit=POSTGRES_NAME_LIMIT))


@contextlib.contextmanager
def claimed(target: DatabaseTarget, reuse: bool) -> Iterator[Claim]:
    """Claim the first test database name no live run holds, for as long as the block runs.

    In-memory SQLite needs no claim: each run's database is its own.
    """
    if target.kind == "sqlite-memory":
        yield Claim(target, first_choice=True, note=None)
        return
    holder: _Holder = _PostgresHolder(target) if target.kind == "postgresql" else _FileHolder()
    try:
        first_holder: str | None = None
        for number in range(1, MAX_CLAIMS + 1):
            _check_length(target, number)
            candidate = numbered(target, number)
            if holder.try_claim(candidate.test_name):
                break
            if number == 1:
                first_holder = holder.holder_of(candidate.test_name)
        else:
            last = numbered(target, MAX_CLAIMS).test_name
            raise ClaimError(ALL_IN_USE_MESSAGE.format(first=target.test_name, last=last))
        note = None
        if number > 1:
            note = IN_USE_NOTE.format(
                name=target.test_name,
                holder=f" ({first_holder})" if first_holder else "",
                used=candidate.test_name,
                reuse=REUSE_NOTE if reuse else "",
            )
        yield Claim(candidate, first_choice=number == 1, note=note)
    finally:
        holder.release()
