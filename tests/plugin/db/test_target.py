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


@pytest.mark.parametrize("raw", [None, "", "sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
def test_in_memory_sqlite_is_shared_by_name_but_never_a_file(raw: str | None) -> None:
    target = DatabaseTarget.parse(raw, "gw3")
    assert target.kind == "sqlite-memory"
    assert target.test_url == target.url
    assert target.describe() == "sqlite+aiosqlite (memory)"


def test_database_description_hides_the_password() -> None:
    target = DatabaseTarget.parse("postgresql+asyncpg://app:s3cret@db.internal:5432/shop", "gw0")
    assert target.describe() == "postgresql+asyncpg://app:***@db.internal:5432/test_shop_gw0"
