"""The ``mock_redis`` fixture: fakeredis by default, a real server's own database index when configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from pytest_svc.config import svc_config
from pytest_svc.loop_policy import async_fixture
from pytest_svc.redis.target import RedisRefused, RedisTarget

if TYPE_CHECKING:
    import redis.asyncio


@pytest.fixture(scope="session")
def _svc_redis_target(pytestconfig: pytest.Config) -> RedisTarget:
    target = svc_config(pytestconfig).redis
    try:
        target.check_server()
    except RedisRefused as exc:
        pytest.fail(str(exc), pytrace=False)
    return target


@async_fixture
async def mock_redis(_svc_redis_target: RedisTarget) -> AsyncIterator[redis.asyncio.Redis]:
    """A ``redis.asyncio.Redis`` client, empty at the start of the test and emptied after it.

    By default a fakeredis ``FakeAsyncRedis`` on a fresh in-process server per test, with Lua scripting.
    With ``--svc-redis-url`` / ``SVC_REDIS_URL`` a real client on this worker's own database index (URL index
    plus the xdist worker number), flushed before and after every test. A database holding keys when the
    session starts is refused unless ``--svc-redis-allow-flush``. ``svc_redis_decode_responses = true``
    returns ``str`` instead of ``bytes``. The app's ``svc_redis_dependency`` returns this client.
    """
    target = _svc_redis_target
    client = target.async_client()
    if not target.is_fake:
        await client.flushdb()
    try:
        yield client
    finally:
        if not target.is_fake:
            await client.flushdb()
        await client.aclose()
