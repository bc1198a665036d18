"""Which Redis the tests use, and the checks that keep the plugin off data it did not create."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from pytest_svc.settings import SettingError, setting_problem

if TYPE_CHECKING:
    import redis.asyncio

NOT_A_REDIS_URL = "is {raw!r}; it must start with redis://, rediss:// or unix://."
PORT_NOT_A_NUMBER = "is {raw!r}; the port must be a number."
PATH_NOT_AN_INDEX = "is {raw!r}; the path must be a database number like /0."
NO_UNIX_FOR_LIVE_SERVER = "is a unix:// URL; live_server needs redis:// or rediss:// for now."
NOT_EMPTY_MESSAGE = (
    "pytest-svc: the Redis database {where} holds {keys} keys at session start. The plugin empties its database "
    "before and after every test and will not delete data it did not create.\n  Point it at an empty database "
    "index (e.g. redis://127.0.0.1:6379/9), or pass --svc-redis-allow-flush (SVC_REDIS_ALLOW_FLUSH=1) if these "
    "keys may be deleted."
)
UNREACHABLE_MESSAGE = (
    "pytest-svc: cannot use Redis at {where}: {error}\n  Start the server, fix the URL, or unset it to use fakeredis."
)


class RedisRefused(Exception):
    """The Redis database cannot be used; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class RedisTarget:
    """fakeredis (``url`` None) or one database index on a real server, per xdist worker."""

    url: str | None
    decode_responses: bool
    allow_flush: bool

    @property
    def is_fake(self) -> bool:
        """fakeredis in-process (no ``redis_url`` given), not a server: the one place this is decided."""
        return self.url is None

    def describe(self) -> str:
        if self.url is None:  # fake
            return "fakeredis"
        parts = urlsplit(self.url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def for_live_server(self, workers: int) -> RedisTarget:
        """The live server's own database index on the same server, past every xdist worker's test index.

        ``mock_redis`` flushes the test index around every test; the live server's state (cache, rate limits)
        lives for the session, so it must not share that index.
        """
        if self.url is None:  # fake: the live server gets a fakeredis server of its own
            return self
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            raise SettingError(setting_problem("redis_url", NO_UNIX_FOR_LIVE_SERVER))
        index = int(parts.path.strip("/")) + max(workers, 1)
        return dataclasses.replace(self, url=urlunsplit(parts._replace(path=f"/{index}")))

    @classmethod
    def parse(cls, raw: str | None, worker_number: int, decode_responses: bool, allow_flush: bool) -> RedisTarget:
        """Check a ``redis_url`` setting value and pick this worker's database index (URL index + worker number)."""
        if not raw:
            return cls(None, decode_responses, allow_flush)
        parts = urlsplit(raw)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise SettingError(setting_problem("redis_url", NOT_A_REDIS_URL.format(raw=raw)))
        if parts.scheme == "unix":
            return cls(raw, decode_responses, allow_flush)
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise SettingError(setting_problem("redis_url", PORT_NOT_A_NUMBER.format(raw=raw))) from None
        path = parts.path.strip("/") or "0"
        if not path.isdigit():
            raise SettingError(setting_problem("redis_url", PATH_NOT_AN_INDEX.format(raw=raw)))
        index = int(path) + worker_number
        return cls(urlunsplit(parts._replace(path=f"/{index}")), decode_responses, allow_flush)

    def async_client(self) -> redis.asyncio.Redis:
        """A new client: fakeredis on a fresh in-process server (Lua on), or a blocking pool on the real index."""
        import redis.asyncio  # the Redis clients are imported by the first test that uses one

        if self.url is None:  # fake
            import fakeredis

            return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(), decode_responses=self.decode_responses)
        # redis-py 8's default pool raises at once when its connections are all busy; a test that fires hundreds
        # of concurrent requests (rate limits, single-flight) should wait for a connection, as a server would.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            self.url, decode_responses=self.decode_responses, max_connections=500, timeout=10
        )
        return redis.asyncio.Redis.from_pool(pool)

    def flush(self) -> None:
        """Empty this database (a real server's; fakeredis has nothing to flush here)."""
        if self.url is not None:  # a real server's
            import redis

            with redis.Redis.from_url(self.url, socket_connect_timeout=5) as client:
                client.flushdb()

    def check_server(self) -> None:
        """Make sure the database is reachable and empty (or flushing it was allowed); flush it if allowed."""
        if self.url is None:  # fake
            return
        import redis

        where = f"{self.describe()} (--svc-redis-url / SVC_REDIS_URL)"
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=5) as client:
                keys = int(client.dbsize())
                if keys and not self.allow_flush:
                    raise RedisRefused(NOT_EMPTY_MESSAGE.format(where=where, keys=keys))
                if keys:
                    client.flushdb()
        except redis.RedisError as exc:
            raise RedisRefused(UNREACHABLE_MESSAGE.format(where=where, error=f"{type(exc).__name__}: {exc}")) from None
