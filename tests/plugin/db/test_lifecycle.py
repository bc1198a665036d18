"""Where SQLite files that stand in for an in-memory database live: in RAM when the system has it."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from pytest_svc.db import lifecycle
from pytest_svc.db.lifecycle import ram_temporary_directory
from tests.plugin.inner_runs import run_setup_error


def test_a_ram_directory_is_used_when_there_is_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "RAM_DIRECTORY", tmp_path)  # stands in for /dev/shm
    made = ram_temporary_directory("svc-x-")
    assert made.parent == tmp_path
    assert made.name.startswith("svc-x-")
    assert made.is_dir()


def test_without_one_the_usual_temporary_directory_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "RAM_DIRECTORY", Path("/nonexistent/shm"))
    made = ram_temporary_directory("svc-x-")
    try:
        assert made.parent == Path(tempfile.gettempdir())
    finally:
        shutil.rmtree(made)


def test_a_sqlite_file_the_plugin_did_not_create_is_left_alone(sample_project: pytest.Pytester) -> None:
    # data/test_app.db is someone's own database (or any file): the plugin refuses to replace it, as it refuses
    # an unmarked test_<name> on PostgreSQL, and the file is untouched.
    data = sample_project.mkdir("data")
    with contextlib.closing(sqlite3.connect(data / "test_app.db")) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('keep me')")
        db.commit()
    (data / "test_other.db").write_text("not a database")
    for name, url in (
        ("test_app.db", "sqlite+aiosqlite:///data/app.db"),
        ("test_other.db", "sqlite+aiosqlite:///data/other.db"),
    ):
        message = f"*'data/{name}' already exists and was not created by pytest-svc, so it is left alone*"
        run_setup_error(sample_project, "db_session", message, args=(f"--svc-db-url={url}",))
    with contextlib.closing(sqlite3.connect(data / "test_app.db")) as db:
        assert db.execute("SELECT text FROM notes").fetchall() == [("keep me",)]
    assert (data / "test_other.db").read_text() == "not a database"


def test_a_file_left_by_an_earlier_run_is_replaced(sample_project: pytest.Pytester) -> None:
    url = "sqlite+aiosqlite:///data/app.db"
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from sampleapp import Item

        @pytest.mark.asyncio
        async def test_empty_at_start(db_session):
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
        """
    )
    sample_project.runpytest(f"--svc-db-url={url}", "--svc-reuse-db").assert_outcomes(passed=1)
    kept = sample_project.path / "data" / "test_app.db"
    with contextlib.closing(sqlite3.connect(kept)) as db:  # as an interrupted run leaves it: with a row
        db.execute("INSERT INTO items (name) VALUES ('left over')")
        db.commit()
    sample_project.runpytest(f"--svc-db-url={url}").assert_outcomes(passed=1)
    assert not kept.exists()
