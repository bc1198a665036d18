"""The ``mock_redis`` fixture: fakeredis by default, a real server's own database index when configured."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_svc.config import svc_config
from pytest_svc.loop_policy import async_fixture
from pytest_svc.places import is_factory
from pytest_svc.redis.target import RedisRefused, RedisTarget
from pytest_svc.settings import SettingError, setting_problem

GETTER_MESSAGE = (
    "is {spec!r}, a function; name the attribute that holds the client (e.g. myservice.cache:redis), or set "
    "svc_redis_dependency to the function to override it as a dependency."
)

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


def _at_the_apps_place(config: pytest.Config, client: redis.asyncio.Redis) -> contextlib.AbstractContextManager[Any]:
    place = svc_config(config).redis_client
    if place is None or place.on_app:
        return contextlib.nullcontext()
    try:
        if is_factory(place.read()):
            raise SettingError(setting_problem("redis_client", GETTER_MESSAGE.format(spec=place.spec)))
        return place.replaced(client)
    except SettingError as exc:
        pytest.fail(str(exc), pytrace=False)


@async_fixture
async def mock_redis(pytestconfig: pytest.Config, _svc_redis_target: RedisTarget) -> AsyncIterator[redis.asyncio.Redis]:
    """A ``redis.asyncio.Redis`` client, empty at the start of the test and emptied after it.

    By default a fakeredis ``FakeAsyncRedis`` on a fresh in-process server per test, with Lua scripting.
    With ``--svc-redis-url`` / ``SVC_REDIS_URL`` a real client on this worker's own database index (URL index
    plus the xdist worker number), flushed before and after every test. A database holding keys when the
    session starts is refused unless ``--svc-redis-allow-flush``. ``svc_redis_decode_responses = true``
    returns ``str`` instead of ``bytes``. The app's ``svc_redis_dependency`` returns this client, and the place
    ``svc_redis_client`` names holds it for the test (a module attribute at once, ``app.state.NAME`` once the
    app's lifespan has started).
    """
    target = _svc_redis_target
    client = target.async_client()
    if not target.is_fake:
        await client.flushdb()
    try:
        with _at_the_apps_place(pytestconfig, client):
            yield client
    finally:
        if not target.is_fake:
            await client.flushdb()
        await client.aclose()
