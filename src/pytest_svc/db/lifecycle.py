"""The test database's life: created (or reused), schema built, seeded, and dropped, off the tests' loop.

A new database is built in one transaction: ``pytest_svc_before_schema``, the named schemas (PostgreSQL), the
tables (``create_all``, or the migrations of ``svc_alembic_ini``), then ``pytest_svc_seed_db``. A reused one
gets missing tables only; a reused one whose migrations are behind the scripts is rebuilt.

A PostgreSQL database the plugin creates carries a comment (a SQLite file, its application_id); a leftover
``test_<name>`` without that mark is someone else's and is refused. A marked one is replaced unless another live
run holds its name (:mod:`pytest_svc.db.claims`): :func:`claimed_database` then works on the next free name.
Session-level work runs through :func:`run_blocking`, on a private loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from pytest_svc.db.engines import create_test_engine
from pytest_svc.db.schemas import create_postgres_schemas, schema_directory, schema_names
from pytest_svc.db.sqlite_types import UnsupportedColumnType
from pytest_svc.db.target import DatabaseTarget

if TYPE_CHECKING:
    from pytest_svc.db.migrations import Migrations

CREATED_BY_MARKER = "created by pytest-svc"
# A SQLite file the plugin creates carries this in its header (PRAGMA application_id, "svc!"): the file's
# counterpart of the PostgreSQL comment.
SQLITE_MARKER = 0x73766321
NOT_OURS_FILE_MESSAGE = (
    "pytest-svc: {path!r} already exists and was not created by pytest-svc, so it is left alone. Remove it "
    "yourself, or choose another file name in --svc-db-url / SVC_DB_URL (the test database is test_<name>)."
)
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
        raise DatabaseError(_cannot_prepare(target, exc)) from None
    finally:
        await admin.dispose()


def _cannot_prepare(target: DatabaseTarget, exc: Exception) -> str:
    server = target.url.render_as_string(hide_password=True)
    error = f"{type(exc).__name__}: {exc}"
    return CANNOT_PREPARE_MESSAGE.format(name=target.test_name, server=server, error=error)


async def _postgres_drop(target: DatabaseTarget) -> None:
    admin = create_async_engine(target.url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            quoted = admin.dialect.identifier_preparer.quote(target.test_name)
            # WITH (FORCE): connections still parked on a test loop must not keep our database alive.
            await conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        await admin.dispose()


def _is_marked_sqlite_file(path: Path) -> bool:
    # The stdlib driver, read-only: nothing is written to a file that may not be ours.
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            return bool(db.execute("PRAGMA application_id").fetchone()[0] == SQLITE_MARKER)
    except sqlite3.DatabaseError:  # not a SQLite file at all
        return False


def _sqlite_file_prepare(target: DatabaseTarget, reuse: bool, schemas: tuple[str, ...]) -> bool:
    path = Path(target.test_name)
    created = True
    if path.exists():
        if not _is_marked_sqlite_file(path):
            raise DatabaseError(NOT_OURS_FILE_MESSAGE.format(path=str(path)))
        if reuse:
            created = False
        else:  # ours, left by an interrupted run (or kept by --svc-reuse-db): safe to replace
            _sqlite_file_remove(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    if created:
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute(f"PRAGMA application_id = {SQLITE_MARKER}")  # the file's header carries the mark
            db.commit()
    if schemas:
        schema_directory(path).mkdir(exist_ok=True)
    return created


def _sqlite_file_remove(target: DatabaseTarget) -> None:
    path = Path(target.test_name)
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(target.test_name + suffix).unlink(missing_ok=True)
    shutil.rmtree(schema_directory(path), ignore_errors=True)


ConnectionCallback = Callable[[Connection], None]


def _nothing(_connection: Connection) -> None:
    pass


@dataclasses.dataclass(frozen=True)
class SchemaSource:
    """What a new test database is built from: ``metadata`` (``create_all``) or ``migrations``, and the hooks.

    With ``migrations``, the tables come from them; ``metadata``, when given too, only names the schemas SQLite
    must attach.
    """

    metadata: MetaData | None
    migrations: Migrations | None = None
    before_schema: ConnectionCallback = _nothing
    seed: ConnectionCallback = _nothing

    @property
    def schemas(self) -> tuple[str, ...]:
        return schema_names(self.metadata)

    def build(self, connection: Connection, target: DatabaseTarget, created: bool) -> None:
        """Build the schema on ``connection`` (inside its transaction); hooks and migrations only when ``created``."""
        if created:
            self.before_schema(connection)
        if self.migrations is not None:
            if created:
                self.migrations.upgrade(connection, target.test_url)
        elif self.metadata is not None:
            if target.kind == "postgresql":
                create_postgres_schemas(connection, self.schemas)
            self.metadata.create_all(connection)
        if created:
            self.seed(connection)


async def _create_or_reuse(target: DatabaseTarget, source: SchemaSource, reuse: bool) -> bool:
    if target.kind == "postgresql":
        return await _postgres_prepare(target, reuse)
    if target.kind == "sqlite-file":
        return _sqlite_file_prepare(target, reuse, source.schemas)
    return True


async def _migrations_are_current(engine: AsyncEngine, migrations: Migrations) -> bool:
    async with engine.connect() as conn:
        return await conn.run_sync(migrations.is_current)


async def prepare_test_database(
    target: DatabaseTarget, source: SchemaSource, reuse: bool, engine_options: Mapping[str, Any] | None = None
) -> tuple[AsyncEngine, bool]:
    """Create the test database (or reuse it), build the schema, seed it when new; return the engine.

    ``engine_options`` (``db_engine_options``, checked) go to :func:`create_test_engine`.

    A reused database whose migrations are not at the scripts' heads is dropped and built again.
    """
    created = await _create_or_reuse(target, source, reuse)
    engine = create_test_engine(target, source.schemas, engine_options)
    try:
        if (
            not created
            and source.migrations is not None
            and not await _migrations_are_current(engine, source.migrations)
        ):
            await engine.dispose()
            await drop_test_database(target)
            created = await _create_or_reuse(target, source, reuse=False)
        async with engine.begin() as conn:
            await conn.run_sync(source.build, target, created)
    except Exception as exc:
        await engine.dispose()
        if created:
            await drop_test_database(target)
        if isinstance(exc, UnsupportedColumnType):
            raise DatabaseError(str(exc)) from None
        raise
    return engine, created


@dataclasses.dataclass(frozen=True)
class ClaimedDatabase:
    """A test database this run holds: its ``engine``, the ``target`` claimed (maybe ``test_<name>_2``), and
    ``note``, the line the run prints when the first name was in use by another run."""

    engine: AsyncEngine
    target: DatabaseTarget
    created: bool
    note: str | None


@contextlib.contextmanager
def claimed_database(
    target: DatabaseTarget, source: SchemaSource, reuse: bool, engine_options: Mapping[str, Any] | None = None
) -> Iterator[ClaimedDatabase]:
    """Claim a test database name no live run holds, create (or reuse) it, and drop it when the block ends.

    The claim (:mod:`pytest_svc.db.claims`) is held from before the database is made until after it is
    dropped, so another run never replaces it. ``reuse`` keeps ``test_<name>`` only: a run on a later name
    starts that one fresh and drops it. The caller closes its connections before the block ends.
    """
    from pytest_svc.db.claims import ClaimError, claimed

    with contextlib.ExitStack() as stack:
        try:
            claim = stack.enter_context(claimed(target, reuse))
        except ClaimError as exc:
            raise DatabaseError(str(exc)) from None
        except Exception as exc:  # the server is down, or refuses us
            raise DatabaseError(_cannot_prepare(target, exc)) from None
        keep = reuse and claim.first_choice
        engine, created = run_blocking(lambda: prepare_test_database(claim.target, source, keep, engine_options))
        try:
            yield ClaimedDatabase(engine, claim.target, created, claim.note)
        finally:
            run_blocking(engine.dispose)
            if not keep:
                run_blocking(lambda: drop_test_database(claim.target))


@contextlib.contextmanager
def created_database(target: DatabaseTarget, source: SchemaSource) -> Iterator[ClaimedDatabase]:
    """Create ``target`` fresh with its schema and seed, for another process to use; drop it afterwards.

    For the live server's and the load runner's databases: nothing in this process keeps an engine on them.
    The name is claimed like the tests' database: use the yielded ``target``, which may carry a number.
    """
    with claimed_database(target, source, reuse=False) as database:
        run_blocking(database.engine.dispose)
        yield database


async def drop_test_database(target: DatabaseTarget) -> None:
    """Remove the database the plugin created."""
    if target.kind == "postgresql":
        await _postgres_drop(target)
    elif target.kind == "sqlite-file":
        # Only called from run_blocking's private loop: nothing else waits on it.
        _sqlite_file_remove(target)
