"""The reference app's database and Redis for a load run: made for the run, dropped after it.

Embedded by default: a SQLite file in the run's temporary directory, and fakeredis inside the app's process
(:mod:`.embedded_app`). Given URLs, the
runner behaves like the plugin: it creates and drops ``test_<name>_load`` (never ``<name>``), and it uses a
Redis database index only when it is empty, flushing it at the end (everything in it is the run's).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from pytest_svc.db.lifecycle import SchemaSource, created_database
from pytest_svc.db.target import DatabaseTarget
from pytest_svc.redis.target import RedisTarget
from reference_app import main  # noqa: F401 - the app's features register every table on Base.metadata
from reference_app.db import Base

DATABASE_SUFFIX = "load"  # test_<name>_load: apart from the plugin's test_<name> and test_<name>_gwN


@dataclasses.dataclass(frozen=True)
class Backends:
    """Where the app's data lives during the run."""

    database_url: str
    redis_url: str | None  # None: the app's own in-process fakeredis
    description: str


@contextlib.contextmanager
def database(db_url: str | None, workdir: Path) -> Iterator[DatabaseTarget]:
    """Create the run's database with the reference app's schema; drop it afterwards, even on failure."""
    raw = db_url or f"sqlite+aiosqlite:///{workdir / 'load.db'}"
    target = DatabaseTarget.parse(raw, DATABASE_SUFFIX if db_url else None)
    with created_database(target, SchemaSource(Base.metadata)) as made:
        yield made.target  # test_<name>_load_2 while another live run holds test_<name>_load


@contextlib.contextmanager
def redis_server(redis_url: str | None) -> Iterator[str | None]:
    """The Redis URL of the run: an empty database on the given server (flushed after); None for the embedded."""
    if not redis_url:
        yield None
        return
    target = RedisTarget.parse(redis_url, 0, decode_responses=True, allow_flush=False)
    target.check_server()  # refuses a database that holds keys: they are not the run's to delete
    assert target.url is not None
    try:
        yield target.url
    finally:
        target.flush()


@contextlib.contextmanager
def app_backends(db_url: str | None, redis_url: str | None, workdir: Path) -> Iterator[Backends]:
    """Both backends for the app, cleaned up in reverse order."""
    with database(db_url, workdir) as target, redis_server(redis_url) as redis_at:
        described_db = target.describe() if db_url else "SQLite file (temporary)"
        described_redis = RedisTarget(redis_at, True, False).describe() if redis_at else "fakeredis (in the app)"
        yield Backends(
            target.test_url.render_as_string(hide_password=False), redis_at, f"{described_db}, {described_redis}"
        )
