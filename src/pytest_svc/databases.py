"""The test database: which one, how to create it, build its schema, and drop it.

The plugin never writes to the database named in ``--svc-db-url``: it derives ``test_<name>`` (and
``test_<name>_gwN`` under pytest-xdist) from it, creates that, and drops it at the end.  A PostgreSQL database
it creates carries a comment; a leftover ``test_<name>`` without that comment is someone else's and is refused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import importlib.util
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlalchemy import MetaData, event, make_url, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool
from sqlalchemy.util import await_only

from pytest_svc.settings import SettingError, setting_problem

DatabaseKind = Literal["sqlite-memory", "sqlite-file", "postgresql"]

DEFAULT_DB_URL = "sqlite+aiosqlite://"
CREATED_BY_MARKER = "created by pytest-svc"
_T = TypeVar("_T")


class DatabaseError(Exception):
    """The test database could not be prepared; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class DatabaseTarget:
    """The database a run tests against: the user's URL and the test database derived from it."""

    url: URL
    kind: DatabaseKind
    test_url: URL

    @property
    def test_name(self) -> str:
        return self.test_url.database or ":memory:"

    def describe(self) -> str:
        """One line for the pytest header."""
        if self.kind == "sqlite-memory":
            return f"{self.url.drivername} (memory)"
        return self.test_url.render_as_string(hide_password=True)

    def for_live_server(self, directory: Path) -> DatabaseTarget:
        """The live server's own database: the test database's name plus ``_live``, in a file for SQLite.

        A server in another process cannot share an in-memory database, and its commits must not reach the
        tests' rolled-back transactions, so it gets a database of its own, made and dropped the same way.
        """
        if self.kind == "sqlite-memory":
            return DatabaseTarget(self.url, "sqlite-file", self.url.set(database=str(directory / "test_live.db")))
        if self.kind == "sqlite-file":
            path = Path(self.test_name)
            return dataclasses.replace(self, test_url=self.url.set(database=str(path.with_stem(f"{path.stem}_live"))))
        name = f"{self.test_name}_live"
        if len(name) > 63:
            raise SettingError(setting_problem("db_url", f"gives {name!r} for live_server, longer than 63."))
        return dataclasses.replace(self, test_url=self.url.set(database=name))

    @classmethod
    def parse(cls, raw: str | None, worker: str | None) -> DatabaseTarget:
        """Check a ``db_url`` setting value and derive the test database from it."""
        try:
            url = make_url(raw or DEFAULT_DB_URL)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise SettingError(setting_problem("db_url", f"is {raw!r}, which is not a database URL.")) from None
        suffix = f"_{worker}" if worker else ""
        if url.drivername == "sqlite+aiosqlite":
            database = url.database or ""
            if database in ("", ":memory:") or url.query.get("mode") == "memory":
                return cls(url, "sqlite-memory", url)
            path = Path(database)
            test_path = path.with_name(f"test_{path.stem}{suffix}{path.suffix}")
            return cls(url, "sqlite-file", url.set(database=str(test_path)))
        if url.drivername == "postgresql+asyncpg":
            if importlib.util.find_spec("asyncpg") is None:
                raise SettingError(
                    setting_problem(
                        "db_url",
                        "names asyncpg, which is not installed: pip install 'pytest-svc[postgres]'.",
                        show_example=False,
                    )
                )
            if not url.database:
                raise SettingError(
                    setting_problem(
                        "db_url",
                        f"is {url.render_as_string(hide_password=True)!r}, with no database name; "
                        "the plugin creates test_<name> from it.",
                    )
                )
            test_name = f"test_{url.database}{suffix}"
            if len(test_name) > 63:
                raise SettingError(setting_problem("db_url", f"gives {test_name!r}, longer than PostgreSQL's 63."))
            return cls(url, "postgresql", url.set(database=test_name))
        hint = {
            "sqlite": "sqlite+aiosqlite://",
            "postgresql": "postgresql+asyncpg://",
            "postgres": "postgresql+asyncpg://",
            "postgresql+psycopg2": "postgresql+asyncpg://",
            "postgresql+psycopg": "postgresql+asyncpg://",
        }.get(url.drivername)
        fix = f" Use {hint}..." if hint else ""
        raise SettingError(
            setting_problem(
                "db_url",
                f"uses driver {url.drivername!r}; pytest-svc supports sqlite+aiosqlite and postgresql+asyncpg.{fix}",
            )
        )


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


def _enable_sqlite_savepoints(engine: AsyncEngine) -> None:
    # sqlite3's legacy transaction control skips BEGIN before SAVEPOINT and DDL, so a released savepoint
    # escapes the outer ROLLBACK and the test's data leaks.  SQLAlchemy's documented recipe: let the driver
    # emit nothing and issue BEGIN ourselves.  Foreign keys are switched on to behave like PostgreSQL.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Straight to aiosqlite: one trip to its thread instead of three (cursor, execute, close) through
        # exec_driver_sql. Every test begins a transaction, and in-memory SQLite spends its time on those trips.
        driver_connection: Any = connection.connection.driver_connection
        await_only(driver_connection.execute("BEGIN"))


def create_test_engine(target: DatabaseTarget) -> AsyncEngine:
    """Build the AsyncEngine the tests use.

    In-memory SQLite has exactly one connection (StaticPool), shared by every test: aiosqlite connections
    work from any loop.  PostgreSQL uses NullPool: asyncpg connections belong to the loop that opened them,
    so the engine keeps none; db_session keeps one open per event loop instead (see loop_resources).
    """
    if target.kind == "sqlite-memory":
        engine = create_async_engine(target.test_url, poolclass=StaticPool)
    elif target.kind == "sqlite-file":
        engine = create_async_engine(target.test_url)
    else:
        engine = create_async_engine(target.test_url, poolclass=NullPool)
    if target.kind != "postgresql":
        _enable_sqlite_savepoints(engine)
    return engine


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
                    raise DatabaseError(
                        f"pytest-svc: database {name!r} already exists on the server and was not created by "
                        f"pytest-svc, so it is left alone. Drop it yourself, or choose another database name in "
                        f"--svc-db-url / SVC_DB_URL (the test database is test_<name>)."
                    )
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
        raise DatabaseError(
            f"pytest-svc: cannot prepare the test database {name!r} on "
            f"{target.url.render_as_string(hide_password=True)} (--svc-db-url / SVC_DB_URL): "
            f"{type(exc).__name__}: {exc}\n  Start the server, fix the URL, or unset it to use in-memory SQLite."
        ) from None
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
