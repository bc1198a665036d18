"""DatabaseTarget: the test database derived from db_url, per xdist worker."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from pytest_svc.db.target import DatabaseTarget


@pytest.mark.parametrize(
    ("raw", "worker", "test_name"),
    [
        ("postgresql+asyncpg://postgres@127.0.0.1:5432/svc", None, "test_svc"),
        ("postgresql+asyncpg://postgres@127.0.0.1:5432/svc", "gw2", "test_svc_gw2"),
        ("sqlite+aiosqlite:///./data/app.db", None, "data/test_app.db"),
        ("sqlite+aiosqlite:///./data/app.db", "gw1", "data/test_app_gw1.db"),
    ],
)
def test_database_target_derives_a_test_database_per_worker(raw: str, worker: str | None, test_name: str) -> None:
    target = DatabaseTarget.parse(raw, worker)
    assert target.test_name == test_name
    assert target.url == make_url(raw)
    assert target.test_url.drivername == target.url.drivername


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite:///file:app?mode=memory&uri=true",
    ],
)
def test_in_memory_sqlite_is_a_named_shared_memory_database_new_per_run_and_worker(raw: str | None) -> None:
    target = DatabaseTarget.parse(raw, "gw3")
    assert target.kind == "sqlite-memory"
    assert target.describe() == "sqlite+aiosqlite (memory)"
    assert target.test_url.drivername == "sqlite+aiosqlite"
    assert target.test_url.query == {"mode": "memory", "cache": "shared", "uri": "true"}
    assert (target.test_url.database or "").startswith("file:test_memory_gw3_")
    # Another run in this process (pytester runs), another worker: never the same database.
    names = {DatabaseTarget.parse(raw, worker).test_url.database for worker in ("gw3", "gw3", "gw4", None)}
    assert len(names | {target.test_url.database}) == 5


def test_database_description_hides_the_password() -> None:
    target = DatabaseTarget.parse("postgresql+asyncpg://app:s3cret@db.internal:5432/shop", "gw0")
    assert target.describe() == "postgresql+asyncpg://app:***@db.internal:5432/test_shop_gw0"
