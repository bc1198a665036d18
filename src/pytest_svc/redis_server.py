"""Which Redis the tests use, and the checks that keep the plugin off data it did not create."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit, urlunsplit

import redis

from pytest_svc.settings import SettingError, setting_problem


class RedisRefused(Exception):
    """The Redis database cannot be used; the message says why and what to do."""


def _worker_number(worker: str | None) -> int:
    match = re.fullmatch(r"gw(\d+)", worker or "")
    return int(match.group(1)) if match else 0


@dataclasses.dataclass(frozen=True)
class RedisTarget:
    """fakeredis (``url`` None) or one database index on a real server, per xdist worker."""

    url: str | None
    decode_responses: bool
    allow_flush: bool

    @property
    def is_fake(self) -> bool:
        return self.url is None

    def describe(self) -> str:
        if self.url is None:
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
        if self.url is None:
            return self
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            raise SettingError(
                setting_problem("redis_url", "is a unix:// URL; live_server needs redis:// or rediss:// for now.")
            )
        index = int(parts.path.strip("/")) + max(workers, 1)
        return dataclasses.replace(self, url=urlunsplit(parts._replace(path=f"/{index}")))

    @classmethod
    def parse(cls, raw: str | None, worker: str | None, decode_responses: bool, allow_flush: bool) -> RedisTarget:
        """Check a ``redis_url`` setting value and pick this worker's database index."""
        if not raw:
            return cls(None, decode_responses, allow_flush)
        parts = urlsplit(raw)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise SettingError(
                setting_problem("redis_url", f"is {raw!r}; it must start with redis://, rediss:// or unix://.")
            )
        if parts.scheme == "unix":
            return cls(raw, decode_responses, allow_flush)
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise SettingError(setting_problem("redis_url", f"is {raw!r}; the port must be a number.")) from None
        path = parts.path.strip("/") or "0"
        if not path.isdigit():
            raise SettingError(setting_problem("redis_url", f"is {raw!r}; the path must be a database number like /0."))
        index = int(path) + _worker_number(worker)
        return cls(urlunsplit(parts._replace(path=f"/{index}")), decode_responses, allow_flush)

    def flush(self) -> None:
        """Empty this database (a real server's; fakeredis has nothing to flush here)."""
        if self.url is not None:
            with redis.Redis.from_url(self.url, socket_connect_timeout=5) as client:
                client.flushdb()

    def check_server(self) -> None:
        """Make sure the database is reachable and empty (or flushing it was allowed); flush it if allowed."""
        if self.url is None:
            return
        where = f"{self.describe()} (--svc-redis-url / SVC_REDIS_URL)"
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=5) as client:
                keys = int(client.dbsize())
                if keys and not self.allow_flush:
                    raise RedisRefused(
                        f"pytest-svc: the Redis database {where} holds {keys} keys at session start. The plugin "
                        "empties its database before and after every test and will not delete data it did not "
                        "create.\n  Point it at an empty database index (e.g. redis://127.0.0.1:6379/9), or pass "
                        "--svc-redis-allow-flush (SVC_REDIS_ALLOW_FLUSH=1) if these keys may be deleted."
                    )
                if keys:
                    client.flushdb()
        except redis.RedisError as exc:
            raise RedisRefused(
                f"pytest-svc: cannot use Redis at {where}: {type(exc).__name__}: {exc}\n"
                "  Start the server, fix the URL, or unset it to use fakeredis."
            ) from None
