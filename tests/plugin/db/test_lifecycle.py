"""Where SQLite files that stand in for an in-memory database live: in RAM when the system has it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from pytest_svc.db import lifecycle
from pytest_svc.db.lifecycle import ram_temporary_directory


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
