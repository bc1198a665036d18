"""The ``mock_redis`` fixture: fakeredis by default, a real server's own database index when configured."""

from __future__ import annotations

from collections.abc import AsyncIterator

import fakeredis
import pytest
import redis.asyncio

from pytest_svc.async_fixtures import async_fixture
from pytest_svc.config import svc_config
from pytest_svc.redis_server import RedisRefused, RedisTarget


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
    client: redis.asyncio.Redis
    if target.url is None:
        client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(), decode_responses=target.decode_responses)
    else:
        # redis-py 8's default pool raises at once when its connections are all busy; a test that fires hundreds
        # of concurrent requests (rate limits, single-flight) should wait for a connection, as a server would.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            target.url, decode_responses=target.decode_responses, max_connections=500, timeout=10
        )
        client = redis.asyncio.Redis.from_pool(pool)
        await client.flushdb()
    try:
        yield client
    finally:
        if target.url is not None:
            await client.flushdb()
        await client.aclose()
