"""RedisTarget: the Redis index per xdist worker, fakeredis without a URL."""

from __future__ import annotations

import pytest

from pytest_svc.redis.target import RedisTarget


@pytest.mark.parametrize(
    ("raw", "worker", "url"),
    [
        ("redis://127.0.0.1:6379/3", 0, "redis://127.0.0.1:6379/3"),
        ("redis://127.0.0.1:6379/3", 2, "redis://127.0.0.1:6379/5"),
        ("redis://127.0.0.1:6379", 1, "redis://127.0.0.1:6379/1"),
        ("rediss://:pw@cache.internal:6380/0", 4, "rediss://:pw@cache.internal:6380/4"),
        ("unix:///run/redis.sock", 2, "unix:///run/redis.sock"),
    ],
)
def test_redis_target_adds_the_worker_number_to_the_index(raw: str, worker: int, url: str) -> None:
    target = RedisTarget.parse(raw, worker, decode_responses=True, allow_flush=False)
    assert target.url == url
    assert not target.is_fake
    assert (target.decode_responses, target.allow_flush) == (True, False)


def test_redis_target_without_url_is_fakeredis_and_description_hides_the_password() -> None:
    assert RedisTarget.parse(None, 1, decode_responses=False, allow_flush=False).describe() == "fakeredis"
    real = RedisTarget.parse("rediss://:pw@cache.internal:6380/0", 0, decode_responses=False, allow_flush=False)
    assert real.describe() == "rediss://cache.internal:6380/0"
