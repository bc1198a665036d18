"""A test database in use by a live run is never dropped: concurrent runs take the next name, a dead run's is cleaned.

Runs that must overlap are real processes started together, each holding its database in a test until the other
holds its own (a file barrier, not a sleep); every wait has a timeout, so a hang fails the test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from pytest_svc.db import claims
from pytest_svc.db.claims import claimed
from pytest_svc.db.target import DatabaseTarget
from tests.plugin.db.test_fixtures import ON_POSTGRES, pg_admin
from tests.plugin.inner_runs import run_setup_error

SQLITE_URL = "sqlite+aiosqlite:///data/app.db"
BACKENDS = [
    "sqlite-file",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not ON_POSTGRES, reason="needs SVC_DB_URL pointing at PostgreSQL"),
    ),
]
RUN_TIMEOUT = 300  # generous: a loaded CI machine is slow, a hang still fails

# Each run seeds one row naming itself, so a run whose database was replaced by the other's sees the wrong row.
SEED_RUN_NAME = """
import os
from sqlalchemy import text

def pytest_svc_seed_db(config, connection):
    connection.execute(text("INSERT INTO items (name) VALUES (:name)"), {"name": os.environ["RUN_NAME"]})
"""

# Holds the database until the other run holds its own (both have prepared theirs), then writes and reads.
HOLD_UNTIL_BOTH = """
import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sampleapp import Item

RUN = os.environ["RUN_NAME"]


async def wait_for(path, seconds=60):
    for _ in range(seconds * 20):
        if path.exists():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.asyncio
async def test_holds_the_database_while_the_other_run_holds_its_own(db_session, db_engine):
    db_session.add(Item(name=f"{RUN}-written"))
    await db_session.flush()
    Path(f"started-{RUN}").write_text(db_engine.url.database)
    await wait_for(Path(f"started-{os.environ['OTHER_RUN']}"))
    await asyncio.sleep(0.5)
    names = (await db_session.scalars(select(Item.name).order_by(Item.id))).all()
    assert names == [RUN, f"{RUN}-written"]
    fresh = create_async_engine(db_engine.url, poolclass=NullPool)  # a new connection to the same name
    try:
        async with fresh.connect() as conn:
            assert (await conn.scalars(select(Item.name))).all() == [RUN]
    finally:
        await fresh.dispose()
"""

SLEEPS_UNTIL_KILLED = """
import time
from pathlib import Path

def test_killed_while_holding_the_database(db_engine):
    Path("started").write_text(db_engine.url.database)
    time.sleep(120)
"""

USES_THE_DATABASE = """
import pytest
from sqlalchemy import select
from sampleapp import Item

@pytest.mark.asyncio
async def test_uses_the_database(db_session, db_engine):
    print("DATABASE", db_engine.url.database)
    assert (await db_session.scalars(select(Item.name))).all() == []
"""


def start_run(project: pytest.Pytester, run: str, other: str, *args: str) -> subprocess.Popen[str]:
    """``python -m pytest`` in ``project``, in its own process; ``RUN_NAME``/``OTHER_RUN`` tell it who it is."""
    env = {**os.environ, "RUN_NAME": run, "OTHER_RUN": other}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *args]
    return subprocess.Popen(
        command, cwd=project.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(run: subprocess.Popen[str]) -> str:
    try:
        output, _ = run.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        run.kill()
        output, _ = run.communicate()
        raise AssertionError(f"the run hung:\n{output}") from None
    return output


def url_for(backend: str) -> str:
    return SQLITE_URL if backend == "sqlite-file" else os.environ["SVC_DB_URL"]


def databases_left(project: pytest.Pytester, backend: str) -> list[str]:
    """What is left of the run's test databases: files (and lock files) in data/, or databases on the server."""
    if backend == "sqlite-file":
        data = project.path / "data"
        return sorted(path.name for path in data.glob("test_app*")) if data.exists() else []
    name = make_url(os.environ["SVC_DB_URL"]).database
    return sorted(str(row[0]) for row in pg_admin(f"SELECT datname FROM pg_database WHERE datname LIKE 'test_{name}%'"))


@contextlib.contextmanager
def dropped_afterwards(project: pytest.Pytester, backend: str) -> Iterator[None]:
    try:
        yield
    finally:
        if backend == "postgresql":
            for name in databases_left(project, backend):
                pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_runs_with_the_same_url_at_the_same_time_both_pass(sample_project: pytest.Pytester, backend: str) -> None:
    sample_project.makeconftest(SEED_RUN_NAME)
    sample_project.makepyfile(HOLD_UNTIL_BOTH)
    url = f"--svc-db-url={url_for(backend)}"
    with dropped_afterwards(sample_project, backend):
        runs = [start_run(sample_project, "first", "second", url), start_run(sample_project, "second", "first", url)]
        try:
            outputs = [finish(run) for run in runs]
        finally:
            for run in runs:  # a run left behind by a failure must not outlive the test
                if run.poll() is None:
                    run.kill()
                    run.communicate()
        for run, output in zip(runs, outputs, strict=True):
            assert run.returncode == 0, output
            assert "1 passed" in output
        used = sorted(Path(sample_project.path, f"started-{run}").read_text() for run in ("first", "second"))
        first = DatabaseTarget.parse(url_for(backend), None).test_name
        second = claims.numbered(DatabaseTarget.parse(url_for(backend), None), 2).test_name
        assert used == sorted([first, second])
        # The run that found the name in use said so, and what it used instead; the other said nothing.
        notes = [output for output in outputs if "is in use by another run" in output]
        assert len(notes) == 1
        assert f"pytest-svc: {first} is in use by another run (pid " in notes[0]
        assert f"this run used {second}, dropped at the end." in notes[0]
        assert databases_left(sample_project, backend) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_left_by_a_run_killed_with_sigkill_is_cleaned_by_the_next(
    sample_project: pytest.Pytester, backend: str
) -> None:
    # A dead run's claim dies with it: the next run takes the first name again and replaces the leftover.
    sample_project.makeconftest(SEED_RUN_NAME)
    sample_project.makepyfile(test_killed=SLEEPS_UNTIL_KILLED)
    url = f"--svc-db-url={url_for(backend)}"
    first = DatabaseTarget.parse(url_for(backend), None).test_name
    with dropped_afterwards(sample_project, backend):
        killed = start_run(sample_project, "killed", "", url)
        started = sample_project.path / "started"
        deadline = time.monotonic() + RUN_TIMEOUT
        while not started.exists() and killed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), finish(killed)
        killed.send_signal(signal.SIGKILL)
        finish(killed)
        assert killed.returncode == -signal.SIGKILL
        assert Path(first).name in databases_left(sample_project, backend)  # the leftover, with its row

        started.unlink()
        (sample_project.path / "test_killed.py").unlink()
        sample_project.makeconftest("")
        sample_project.makepyfile(test_next=USES_THE_DATABASE)
        result = sample_project.runpytest_subprocess(url, "-s", timeout=RUN_TIMEOUT)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([f"*DATABASE {first}"])
        result.stdout.no_fnmatch_line("*in use by another run*")
        assert databases_left(sample_project, backend) == []


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reuse", [False, True], ids=["fresh", "reuse-db"])
def test_a_name_in_use_is_left_alone_and_the_next_one_used(
    sample_project: pytest.Pytester, backend: str, reuse: bool
) -> None:
    # This process holds test_<name> as a live run would; --svc-reuse-db does not touch it either: the run
    # works on test_<name>_2, fresh, and drops it at the end.
    sample_project.makepyfile(USES_THE_DATABASE)
    target = DatabaseTarget.parse(url_for(backend), None)
    second = claims.numbered(target, 2).test_name
    args = [f"--svc-db-url={url_for(backend)}", "-s", *(["--svc-reuse-db"] if reuse else [])]
    with dropped_afterwards(sample_project, backend), contextlib.chdir(sample_project.path):
        with claimed(target, reuse=False) as held:
            assert held.target == target
            result = sample_project.runpytest(*args)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            [
                f"*DATABASE {second}",
                f"pytest-svc: {target.test_name} is in use by another run (pid {os.getpid()} on *); this run "
                f"used {second}, dropped at the end{claims.REUSE_NOTE if reuse else ''}.",
            ]
        )
        assert databases_left(sample_project, backend) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_xdist_workers_claim_their_own_names(sample_project: pytest.Pytester, backend: str) -> None:
    # test_<name>_gw0 held by another run: worker gw0 takes test_<name>_gw0_2, and the controller says so.
    sample_project.makepyfile(USES_THE_DATABASE + USES_THE_DATABASE.replace("def test_", "def test_too_"))
    target = DatabaseTarget.parse(url_for(backend), "gw0")
    second = claims.numbered(target, 2).test_name
    with dropped_afterwards(sample_project, backend), contextlib.chdir(sample_project.path):
        with claimed(target, reuse=False):
            result = sample_project.runpytest_subprocess(
                f"--svc-db-url={url_for(backend)}", "-n", "2", "-p", "xdist", timeout=RUN_TIMEOUT
            )
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines([f"pytest-svc: {target.test_name} is in use by another run*used {second}*"])
        assert databases_left(sample_project, backend) == []


def test_when_every_name_is_in_use_the_run_says_how_to_go_on(
    sample_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claims, "MAX_CLAIMS", 2)
    target = DatabaseTarget.parse(SQLITE_URL, None)
    with contextlib.chdir(sample_project.path), claimed(target, reuse=False), claimed(target, reuse=False) as second:
        assert second.target == claims.numbered(target, 2)
        run_setup_error(
            sample_project,
            "db_session",
            "*test databases data/test_app.db to data/test_app_2.db are all in use by other live runs*Wait for one "
            "to finish, or give this run a database name of its own in --svc-db-url.",
            args=(f"--svc-db-url={SQLITE_URL}",),
        )
    assert databases_left(sample_project, "sqlite-file") == []


def test_a_server_that_cannot_be_reached_for_the_claim_says_how_to_go_on(sample_project: pytest.Pytester) -> None:
    # The claim is the run's first contact with the server: a refused connection is the usual short message.
    run_setup_error(
        sample_project,
        "db_session",
        "pytest-svc: cannot prepare the test database 'test_svcclaim_down' on postgresql+asyncpg://postgres@127.0.0.1:1/"
        "svcclaim_down (--svc-db-url / SVC_DB_URL): *",
        "*Start the server, fix the URL, or unset it to use in-memory SQLite.",
        args=("--svc-db-url=postgresql+asyncpg://postgres@127.0.0.1:1/svcclaim_down",),
    )
