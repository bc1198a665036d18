"""Simulated Redis outages: ``redis_down`` makes ``mock_redis`` fail every command, then brings it back.

The outage is made at the connection pool, the one place every command goes through to reach the server:
``execute_command``, pipelines and transactions, scripts, locks and new pub/sub subscriptions all ask
``connection_pool.get_connection()`` first.  While Redis is down that call raises
``redis.exceptions.ConnectionError`` (what redis-py raises when the server refuses the connection), before
anything is sent, so the data and the idle connections are kept and recovery is immediate.

It works the same on fakeredis and on a real server, because both clients are ``redis.asyncio.Redis`` over a
``ConnectionPool``.  fakeredis's own switch (``FakeServer.connected = False``) exists only for fakeredis; a real
client pointed at a closed port needs a port that is sure to stay closed and cuts the server for nobody else.
Patching the pool (not ``Redis.execute_command``) also takes down pipelines and pub/sub objects the app created
before the outage, since they hold the same pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import redis.asyncio

OUTAGE_MESSAGE = "Error 111 connecting to Redis: Connection refused (pytest-svc redis_down: simulated outage)"


class RedisOutage:
    """Takes the Redis behind one or more clients down and back up: ``with outage(): ...``.

    While down, every command on the clients (and on every object sharing their connection pools) raises
    ``redis.exceptions.ConnectionError``; afterwards they work again and the data is as it was. A connection
    already checked out of the pool when the outage starts (a ``PubSub`` that subscribed before, a blocking
    command in flight) is not cut.
    """

    def __init__(self, *clients: redis.asyncio.Redis, message: str = OUTAGE_MESSAGE) -> None:
        self._pools = list({id(client.connection_pool): client.connection_pool for client in clients}.values())
        self._message = message
        self._depth = 0

    @property
    def active(self) -> bool:
        """Whether Redis is down now."""
        return self._depth > 0

    def start(self) -> None:
        """Take Redis down until ``stop()``; calls nest (each ``start()`` needs its ``stop()``)."""
        self._depth += 1
        if self._depth > 1:
            return
        message = self._message
        import redis.exceptions

        async def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise redis.exceptions.ConnectionError(message)

        for pool in self._pools:
            # An instance attribute shadows the method; deleting it brings the pool's own method back.
            pool.get_connection = refuse  # type: ignore[method-assign]

    def stop(self) -> None:
        """Bring Redis back (the last ``stop()`` of nested ``start()`` calls does)."""
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            for pool in self._pools:
                pool.__dict__.pop("get_connection", None)

    def reset(self) -> None:
        """Bring Redis back whatever the nesting (used at teardown)."""
        self._depth = min(self._depth, 1)
        self.stop()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        """Redis is down inside the ``with`` block and back after it, even if the block raises."""
        self.start()
        try:
            yield
        finally:
            self.stop()


@pytest.fixture
def redis_down(mock_redis: redis.asyncio.Redis) -> Iterator[RedisOutage]:
    """Simulate a Redis outage: ``with redis_down(): ...`` makes every ``mock_redis`` command fail.

    Inside the block, every command on ``mock_redis`` (and so on the client the app got from the overridden
    ``svc_redis_dependency``: the same object) raises ``redis.exceptions.ConnectionError``; after it Redis is
    back with its data. Works on fakeredis and on a real server (``SVC_REDIS_URL``). ``redis_down.start()`` /
    ``.stop()`` for an outage that spans more than one block; ``redis_down.active`` says whether it is down.
    Redis is brought back at teardown in any case.
    """
    outage = RedisOutage(mock_redis)
    try:
        yield outage
    finally:
        outage.reset()
