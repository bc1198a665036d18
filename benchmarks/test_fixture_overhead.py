"""What db_session costs per test, against the same tests without it and against the naive per-test schema fixture.

Each benchmark times one whole inner pytest run of ``N_TESTS`` identical async tests, a fresh process as a user's
run is (``peer.run_timed``; pytester only writes the project):

- ``baseline``: the tests request nothing;
- ``db_session_noop``: they request ``db_session`` and write nothing (the fixture's own cost);
- ``db_session``: each inserts one row through ``db_session`` and flushes;
- ``naive``: the same insert through the fixture teams copy: ``create_async_engine`` + ``create_all`` per test,
  then ``drop_all`` + ``dispose``;
- ``baseline``, ``db_session_noop`` and ``db_session`` again ``+session_loop``: with ``asyncio_default_test_loop_scope
  = session``, so on PostgreSQL db_session reuses one connection of that loop's own;
- ``minimal+session_loop``: the same inserts through the least a hand-written conftest does on a session loop
  (one connection, BEGIN, a savepoint session, ROLLBACK; no guard), the floor db_session is read against;
- ``db_session+connect_per_loop`` (PostgreSQL): ``db_session`` with every loop opening its own server connection,
  as before the background connection (:mod:`pytest_svc.db.driver_thread`), for the side-by-side figure;
- ``sqla_baseline`` and ``sqla_async_session`` (and ``+session_loop``): the same empty and inserting tests under
  the peer, pytest-sqla's ``sqla_async_session``, in its own venv (see ``peer.py``);

on in-memory SQLite and on PostgreSQL (``SVC_BENCH_PG_URL``, default ``postgresql+asyncpg://postgres@127.0.0.1:5432/
svc_bench``: the plugin creates and drops ``test_svc_bench``, the naive fixture ``svc_bench_naive``; skipped when
no server answers).  A run's time includes one-off work (creating the database and schema), so ``extra_info`` also
keeps what the inner tests' own setup + call + teardown took, without the first and last test, which carry the
session fixtures.  ``report.py`` turns the JSON into ms per test and ratios; its docstring has the command.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import statistics
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import make_url

from benchmarks import peer
from benchmarks.servers import pg_admin

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

N_TESTS = int(os.environ.get("SVC_BENCH_TESTS", "200"))
ROUNDS = int(os.environ.get("SVC_BENCH_ROUNDS", "5"))
PG_URL = os.environ.get("SVC_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/svc_bench")
PG_NAIVE_URL = make_url(PG_URL).set(database="svc_bench_naive").render_as_string(hide_password=False)
PG_PEER_URL = make_url(PG_URL).set(database=f"{make_url(PG_URL).database}_sqla").render_as_string(hide_password=False)
SQLITE_NAIVE_URL = "sqlite+aiosqlite://"

INI = """
[pytest]
pythonpath = .
svc_metadata = benchmodel:Base
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = {loop_scope}
filterwarnings = error
"""

# The inner projects' model module (benchmodel.py beside this file), written into each as it is.
MODEL = (Path(__file__).parent / "benchmodel.py").read_text()

BASELINE_TESTS = """
import pytest


@pytest.mark.asyncio
@pytest.mark.parametrize("i", range({n}))
async def test_trivial(i):
    assert i >= 0
"""

# The peer's inserting tests with db_session: the two fixtures run the same test body.
DB_SESSION_TESTS = peer.PEER_TESTS.replace("sqla_async_session", "db_session")

DB_SESSION_NOOP_TESTS = """
import pytest


@pytest.mark.asyncio
@pytest.mark.parametrize("i", range({n}))
async def test_noop(i, db_session):
    assert i >= 0
"""

NAIVE_TESTS = DB_SESSION_TESTS.replace("db_session", "naive_session")

NAIVE_CONFTEST = """
import asyncio
import concurrent.futures

import pytest
import pytest_asyncio
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from benchmodel import Base

NAIVE_URL = {url!r}


def _on_server(*statements):
    async def run():
        url = make_url(NAIVE_URL).set(database="postgres")
        admin = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await admin.dispose()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def naive_database():
    name = make_url(NAIVE_URL).database
    on_server = NAIVE_URL.startswith("postgresql")
    if on_server:
        _on_server(f"DROP DATABASE IF EXISTS {{name}} WITH (FORCE)", f"CREATE DATABASE {{name}}")
    yield NAIVE_URL
    if on_server:
        _on_server(f"DROP DATABASE IF EXISTS {{name}} WITH (FORCE)")


@pytest_asyncio.fixture
async def naive_session(naive_database):
    engine = create_async_engine(naive_database)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            yield session
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()
"""


# minimal+session_loop: the least a hand-written conftest does on a session loop, as the floor db_session is read
# against: one connection for the session, per test a BEGIN, a session joining it through a savepoint, a ROLLBACK.
# No guard, no task or loop checks, no teardown bound; on SQLite pysqlite's own transaction handling (its BEGIN
# waits for the first write: one trip fewer, and a released savepoint escapes the rollback).
MINIMAL_FIXTURES = """

@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def minimal_connection(naive_database):
    engine = create_async_engine(naive_database)
    async with engine.connect() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.commit()
        yield connection
        await connection.run_sync(Base.metadata.drop_all)
        await connection.commit()
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def minimal_session(minimal_connection):
    transaction = await minimal_connection.begin()
    session = AsyncSession(bind=minimal_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    await session.close()
    await transaction.rollback()
"""
MINIMAL_TESTS = DB_SESSION_TESTS.replace("db_session", "minimal_session")


# db_session+connect_per_loop: every loop opens its own server connection, as ConnectionPerLoop did before the
# background connection served the loops that run one test.
CONNECT_PER_LOOP_CONFTEST = """
import asyncio

from pytest_svc.db import connections


class ConnectPerLoop(connections.ConnectionPerLoop):
    async def acquire(self):
        self._seen.add(asyncio.get_running_loop())
        return await super().acquire()


connections.ConnectionPerLoop = ConnectPerLoop
"""


@dataclasses.dataclass(frozen=True)
class Variant:
    tests: str
    loop_scope: str = "function"
    peer: bool = False
    conftest: str = ""
    backends: tuple[str, ...] = ("sqlite", "postgresql")


VARIANTS = {
    "baseline": Variant(BASELINE_TESTS),
    "db_session_noop": Variant(DB_SESSION_NOOP_TESTS),
    "db_session": Variant(DB_SESSION_TESTS),
    "naive": Variant(NAIVE_TESTS, conftest=NAIVE_CONFTEST),
    "baseline+session_loop": Variant(BASELINE_TESTS, loop_scope="session"),
    "db_session_noop+session_loop": Variant(DB_SESSION_NOOP_TESTS, loop_scope="session"),
    "db_session+session_loop": Variant(DB_SESSION_TESTS, loop_scope="session"),
    "minimal+session_loop": Variant(MINIMAL_TESTS, loop_scope="session", conftest=NAIVE_CONFTEST + MINIMAL_FIXTURES),
    "db_session+connect_per_loop": Variant(
        DB_SESSION_TESTS, conftest=CONNECT_PER_LOOP_CONFTEST, backends=("postgresql",)
    ),
    "sqla_baseline": Variant(BASELINE_TESTS, peer=True),
    "sqla_async_session": Variant(peer.PEER_TESTS, peer=True),
    "sqla_baseline+session_loop": Variant(BASELINE_TESTS, loop_scope="session", peer=True),
    "sqla_async_session+session_loop": Variant(peer.PEER_TESTS, loop_scope="session", peer=True),
}


def _on_pg_admin(sql: str) -> list[str]:
    return asyncio.run(pg_admin(make_url(PG_URL), sql))


BENCH_DATABASES = (f"test_{make_url(PG_URL).database}", make_url(PG_NAIVE_URL).database)
PEER_DATABASE = make_url(PG_PEER_URL).database


@pytest.fixture
def postgres_server() -> Iterator[None]:
    """Skip without a server; fail (after cleaning up) when a run left one of the benchmark databases behind."""
    names = ", ".join(f"'{name}'" for name in BENCH_DATABASES)
    leftover_query = f"SELECT datname FROM pg_database WHERE datname IN ({names})"
    try:
        _on_pg_admin(leftover_query)
    except Exception as exc:
        pytest.skip(f"no PostgreSQL at {make_url(PG_URL).render_as_string()}: {type(exc).__name__}: {exc}")
    yield
    if left := _on_pg_admin(leftover_query):
        for name in left:
            _on_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pytest.fail(f"the inner runs left databases behind (now dropped): {left}")


@pytest.fixture
def peer_database(postgres_server: None) -> Iterator[str]:
    """pytest-sqla's database: it builds its schema in a database that exists, and never creates one."""
    _on_pg_admin(f'DROP DATABASE IF EXISTS "{PEER_DATABASE}" WITH (FORCE)')
    _on_pg_admin(f'CREATE DATABASE "{PEER_DATABASE}"')
    yield PG_PEER_URL
    _on_pg_admin(f'DROP DATABASE IF EXISTS "{PEER_DATABASE}" WITH (FORCE)')


@dataclasses.dataclass(frozen=True)
class InTestFigures:
    """One inner run, from its test reports: seconds per test inside setup + call + teardown, and one-off costs."""

    steady: float
    session_setup: float
    session_teardown: float

    @classmethod
    def from_durations(
        cls, setups: Sequence[float], calls: Sequence[float], teardowns: Sequence[float]
    ) -> InTestFigures:
        assert len(setups) == len(calls) == len(teardowns) == N_TESTS, (len(setups), len(calls), len(teardowns))
        # The first test's setup and the last one's teardown also run the session fixtures (database, schema).
        middle = slice(1, -1)
        return cls(
            steady=statistics.fmean(map(sum, zip(setups[middle], calls[middle], teardowns[middle], strict=True))),
            session_setup=setups[0] - statistics.median(setups[middle]),
            session_teardown=teardowns[-1] - statistics.median(teardowns[middle]),
        )


def _summary(figures: list[InTestFigures]) -> dict[str, float]:
    # min over rounds, like the run times report.py uses: on a shared machine, noise only ever adds time.
    return {
        "in_test_ms_per_test": min(f.steady for f in figures) * 1000,
        "session_setup_ms": min(f.session_setup for f in figures) * 1000,
        "session_teardown_ms": min(f.session_teardown for f in figures) * 1000,
    }


CASES = [
    (backend, name)
    for backend in ("sqlite", "postgresql")
    for name, spec in VARIANTS.items()
    if backend in spec.backends
]


@pytest.mark.parametrize(("backend", "variant"), CASES, ids=[f"{backend}-{name}" for backend, name in CASES])
def test_fixture_overhead(
    benchmark: BenchmarkFixture,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    backend: str,
    variant: str,
) -> None:
    spec = VARIANTS[variant]
    monkeypatch.delenv("SVC_REDIS_URL", raising=False)
    if backend == "postgresql":
        request.getfixturevalue("postgres_server")
        monkeypatch.setenv("SVC_DB_URL", PG_URL)
        naive_url = PG_NAIVE_URL
    else:
        monkeypatch.delenv("SVC_DB_URL", raising=False)
        naive_url = SQLITE_NAIVE_URL
    pytester.makeini(INI.format(loop_scope=spec.loop_scope))
    pytester.makepyfile(benchmodel=MODEL, test_bench=spec.tests.format(n=N_TESTS))
    if spec.conftest:
        pytester.makeconftest(spec.conftest.format(url=naive_url))

    figures: list[InTestFigures] = []
    if spec.peer:
        python, env = _peer_run(pytester, request, monkeypatch, backend, spec.loop_scope)
    else:
        python, env = Path(sys.executable), dict(os.environ)
        peer.write_timing_plugin(pytester.path)
    durations: list[dict[str, list[float]]] = []

    def run() -> None:
        durations.append(peer.run_timed(python, pytester.path, env, ("-p", "no:benchmark")))

    def between_rounds() -> None:
        # Outside the timing: read the last run's durations.
        while durations:
            phases = durations.pop()
            figures.append(InTestFigures.from_durations(phases["setup"], phases["call"], phases["teardown"]))

    benchmark.group = f"{backend}: {N_TESTS} tests per run"
    benchmark.pedantic(run, setup=between_rounds, rounds=ROUNDS, iterations=1, warmup_rounds=1)  # type: ignore[no-untyped-call]
    between_rounds()

    benchmark.extra_info.update(
        backend=backend,
        variant=variant,
        n_tests=N_TESTS,
        loop_scope=spec.loop_scope,
        **_summary(figures[-ROUNDS:]),
    )


def _peer_run(
    pytester: pytest.Pytester,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    loop_scope: str,
) -> tuple[Path, dict[str, str]]:
    """The peer's Python (its venv) and environment, its project written into ``pytester.path``."""
    if not peer.PEER_PYTHON.exists():
        pytest.skip(peer.MISSING_VENV)
    if backend == "postgresql":
        url = async_url = request.getfixturevalue("peer_database")
    else:
        url, async_url = peer.PEER_SQLITE_URLS
    for name in ("PYTEST_SQLA_URL", "PYTEST_SQLA_ASYNC_URL", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    peer.write_peer_project(pytester.path, url, async_url, loop_scope)
    return peer.PEER_PYTHON, dict(os.environ)
