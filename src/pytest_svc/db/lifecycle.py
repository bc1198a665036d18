"""The test database's life: created (or reused), schema built, seeded, and dropped, off the tests' loop.

A PostgreSQL database the plugin creates carries a comment; a leftover ``test_<name>`` without that comment is
someone else's and is refused. Session-level work runs through :func:`run_blocking`, on a private loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from pytest_svc.db.engines import create_test_engine
from pytest_svc.db.target import DatabaseTarget

CREATED_BY_MARKER = "created by pytest-svc"
NOT_OURS_MESSAGE = (
    "pytest-svc: database {name!r} already exists on the server and was not created by pytest-svc, so it is left "
    "alone. Drop it yourself, or choose another database name in --svc-db-url / SVC_DB_URL (the test database is "
    "test_<name>)."
)
CANNOT_PREPARE_MESSAGE = (
    "pytest-svc: cannot prepare the test database {name!r} on {server} (--svc-db-url / SVC_DB_URL): {error}\n"
    "  Start the server, fix the URL, or unset it to use in-memory SQLite."
)
_T = TypeVar("_T")


class DatabaseError(Exception):
    """The test database could not be prepared; the message says why and what to do."""


RAM_DIRECTORY = Path("/dev/shm")


def ram_temporary_directory(prefix: str) -> Path:
    """A new temporary directory in RAM (``/dev/shm``) when the system has one, else in the usual temp dir.

    For SQLite files that stand in for an in-memory database in another process (``live_server``, load runs):
    on a virtual machine's disk, the journal file SQLite creates and deletes for every write transaction stalls
    the whole process for hundreds of milliseconds at times (measured: /health/live p95 180-600 ms on disk,
    5 ms on /dev/shm, in the same load run). The caller removes the directory.
    """
    ram = RAM_DIRECTORY if RAM_DIRECTORY.is_dir() and os.access(RAM_DIRECTORY, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=ram))


def run_blocking(make_coro: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Session-level work (creating the database, building the schema) must not run on the tests' loop: its
    scope differs per runner, and asyncio.run() would clobber the thread's current loop.  A short-lived thread
    keeps it apart from whatever the test runner does.
    """

    async def main() -> _T:
        return await make_coro()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pytest-svc") as pool:
        return pool.submit(asyncio.run, main()).result()


async def _postgres_prepare(target: DatabaseTarget, reuse: bool) -> bool:
    """Create the test database on the server; return True when it was created now (False: reused)."""
    admin = create_async_engine(target.url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    name = target.test_name
    try:
        async with admin.connect() as conn:
            quoted = admin.dialect.identifier_preparer.quote(name)
            row = (
                await conn.execute(
                    text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                    {"name": name},
                )
            ).first()
            if row is not None:
                if row[0] != CREATED_BY_MARKER:
                    raise DatabaseError(NOT_OURS_MESSAGE.format(name=name))
                if reuse:
                    return False
                # Ours, left by an interrupted run: safe to replace.
                await conn.execute(text(f"DROP DATABASE {quoted} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {quoted}"))
            await conn.execute(text(f"COMMENT ON DATABASE {quoted} IS '{CREATED_BY_MARKER}'"))
            return True
    except DatabaseError:
        raise
    except Exception as exc:
        server = target.url.render_as_string(hide_password=True)
        error = f"{type(exc).__name__}: {exc}"
        raise DatabaseError(CANNOT_PREPARE_MESSAGE.format(name=name, server=server, error=error)) from None
    finally:
        await admin.dispose()


async def _postgres_drop(target: DatabaseTarget) -> None:
    admin = create_async_engine(target.url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            quoted = admin.dialect.identifier_preparer.quote(target.test_name)
            # WITH (FORCE): connections still parked on a test loop must not keep our database alive.
            await conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        await admin.dispose()


def _sqlite_file_prepare(target: DatabaseTarget, reuse: bool) -> bool:
    path = Path(target.test_name)
    if path.exists():
        if reuse:
            return False
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    return True


SeedCallback = Callable[[Connection], None]


async def prepare_test_database(
    target: DatabaseTarget, metadata: MetaData, reuse: bool, seed: SeedCallback
) -> tuple[AsyncEngine, bool]:
    """Create the test database (or reuse it), build the schema, seed it when new; return the engine."""
    if target.kind == "postgresql":
        created = await _postgres_prepare(target, reuse)
    elif target.kind == "sqlite-file":
        created = _sqlite_file_prepare(target, reuse)
    else:
        created = True
    engine = create_test_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            if created:
                await conn.run_sync(seed)
    except Exception:
        await engine.dispose()
        if created:
            await drop_test_database(target)
        raise
    return engine, created


@contextlib.contextmanager
def created_database(target: DatabaseTarget, metadata: MetaData, seed: SeedCallback) -> Iterator[None]:
    """Create ``target`` fresh with its schema and seed, for another process to use; drop it afterwards.

    For the live server's and the load runner's databases: nothing in this process keeps an engine on them.
    """
    engine, _ = run_blocking(lambda: prepare_test_database(target, metadata, False, seed))
    run_blocking(engine.dispose)
    try:
        yield
    finally:
        run_blocking(lambda: drop_test_database(target))


async def drop_test_database(target: DatabaseTarget) -> None:
    """Remove the database the plugin created."""
    if target.kind == "postgresql":
        await _postgres_drop(target)
    elif target.kind == "sqlite-file":
        for suffix in ("", "-journal", "-wal", "-shm"):
            # Only called from run_blocking's private loop: nothing else waits on it.
            Path(target.test_name + suffix).unlink(missing_ok=True)  # noqa: ASYNC240
