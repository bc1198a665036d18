"""``CacheManager`` strategies: cache-aside with single-flight, write-through, write-behind, refresh-ahead,
batch reads and writes in one round trip, and what happens when entries or Redis go bad."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis

from reference_app.cache import CacheManager, CacheRuntime

pytestmark = pytest.mark.asyncio


class Document(BaseModel):
    id: int
    title: str


class Source:
    """A slow source of truth that records its reads and writes."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.rows: dict[int, Document] = {}
        self.reads = 0
        self.writes: list[Document] = []
        self.fail_writes = 0

    async def read(self, document_id: int) -> Document:
        self.reads += 1
        await asyncio.sleep(self.delay)
        return self.rows.get(document_id, Document(id=document_id, title=f"v{self.reads}"))

    async def write(self, document: Document) -> None:
        if self.fail_writes:
            self.fail_writes -= 1
            raise ConnectionError("source down")
        self.writes.append(document)
        self.rows[document.id] = document


@contextlib.contextmanager
def round_trips(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Record each request sent to Redis (a command, a pipeline or a script call) as it goes out."""
    sent: list[int] = []
    connection_class = redis.connection_pool.connection_class
    send = connection_class.send_packed_command

    async def counting_send(self: Any, command: Any, *args: Any, **kwargs: Any) -> None:
        sent.append(1)
        await send(self, command, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(connection_class, "send_packed_command", counting_send)
        yield sent


async def test_100_concurrent_cold_reads_call_the_source_once(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    source = Source(delay=0.02)

    results = await asyncio.gather(
        *(cache.get_or_fetch("doc:1", lambda: source.read(1), Document, tags=["document:1"]) for _ in range(100))
    )

    assert source.reads == 1
    assert results == [Document(id=1, title="v1")] * 100
    assert len({id(result) for result in results}) == 100  # every caller has its own copy
    assert (cache.metrics.misses, cache.metrics.coalesced, cache.metrics.stores) == (1, 99, 1)
    assert await cache.get("doc:1", Document) == Document(id=1, title="v1")


async def test_a_failed_load_reaches_every_waiter_and_caches_nothing(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise LookupError("no such row")

    results = await asyncio.gather(*(cache.get_or_fetch("k", failing, int) for _ in range(10)), return_exceptions=True)

    assert calls == 1
    assert all(isinstance(result, LookupError) for result in results)
    assert await cache.get("k", int) is None


async def test_when_the_loading_caller_is_cancelled_a_waiter_loads_instead(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    source = Source(delay=0.3)  # far longer than the 20 ms before the cancel, even on a loaded machine

    leader = asyncio.create_task(cache.get_or_fetch("doc:1", lambda: source.read(1), Document))
    await asyncio.sleep(0.01)
    follower = asyncio.create_task(cache.get_or_fetch("doc:1", lambda: source.read(1), Document))
    await asyncio.sleep(0.01)
    leader.cancel()

    assert await follower == Document(id=1, title="v2")
    assert leader.cancelled()
    assert source.reads == 2


async def test_write_through_writes_the_source_then_the_cache(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    source = Source()
    document = Document(id=1, title="saved")

    await cache.set_write_through("doc:1", document, source.write, tags=["document:1"])
    assert source.writes == [document]
    assert await cache.get("doc:1", Document) == document

    source.fail_writes = 1
    with pytest.raises(ConnectionError):
        await cache.set_write_through("doc:1", Document(id=1, title="lost"), source.write)
    assert await cache.get("doc:1", Document) == document  # a failed write leaves the cache as it was


async def test_write_behind_caches_now_and_writes_the_latest_value_at_flush(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis, CacheRuntime(write_behind_interval=60))
    source = Source()

    await cache.set_write_behind("doc:1", Document(id=1, title="draft"), source.write)
    await cache.set_write_behind("doc:2", Document(id=2, title="other"), source.write)
    await cache.set_write_behind("doc:1", Document(id=1, title="final"), source.write)

    assert await cache.get("doc:1", Document) == Document(id=1, title="final")
    assert source.writes == []
    await cache.flush()
    assert [(d.id, d.title) for d in source.writes] == [(2, "other"), (1, "final")]  # one write per key
    assert cache.metrics.writes_behind == 2


async def test_write_behind_flushes_in_the_background(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis, CacheRuntime(write_behind_interval=0.02))
    source = Source()

    await cache.set_write_behind("doc:1", Document(id=1, title="a"), source.write)
    for _ in range(50):
        if source.writes:
            break
        await asyncio.sleep(0.01)

    assert source.writes == [Document(id=1, title="a")]
    await cache.close()


async def test_close_persists_every_queued_write_and_later_writes_go_straight_through(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis, CacheRuntime(write_behind_interval=60))
    source = Source()
    source.fail_writes = 1  # the first attempt fails: retried, not lost
    for n in range(3):
        await cache.set_write_behind(f"doc:{n}", Document(id=n, title="queued"), source.write)

    await cache.flush()
    assert sorted(d.id for d in source.writes) == [1, 2]
    assert cache.metrics.write_behind_errors == 1
    await cache.close()
    assert sorted(d.id for d in source.writes) == [0, 1, 2]
    assert len(cache.runtime.write_behind) == 0

    await cache.set_write_behind("doc:9", Document(id=9, title="after close"), source.write)
    assert source.writes[-1] == Document(id=9, title="after close")


async def test_refresh_ahead_reloads_in_the_background_once_the_fraction_of_the_ttl_has_passed(
    mock_redis: Redis,
) -> None:
    cache = CacheManager(mock_redis, CacheRuntime(refresh_ahead=0.5))
    source = Source()

    async def read() -> Document:
        return await source.read(1)

    assert await cache.get_with_refresh("doc:1", read, Document, ttl=60) == Document(id=1, title="v1")
    assert await cache.get_with_refresh("doc:1", read, Document, ttl=60) == Document(id=1, title="v1")
    await cache.flush()
    assert source.reads == 1  # young entry: no refresh

    # Age the entry instead of sleeping: Redis's own clock says 40 of its 60 seconds have passed.
    await mock_redis.pexpire("cache:doc:1", 20_000)
    assert await cache.get_with_refresh("doc:1", read, Document, ttl=60) == Document(id=1, title="v1")
    await cache.flush()  # waits for the background refresh

    assert source.reads == 2
    assert cache.metrics.refreshes == 1
    assert await cache.get("doc:1", Document) == Document(id=1, title="v2")
    assert await mock_redis.pttl("cache:doc:1") > 59_000


async def test_a_failed_refresh_keeps_serving_the_current_entry(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    await cache.set("k", 1, ttl=60)
    await mock_redis.pexpire("cache:k", 1_000)

    async def broken() -> int:
        raise ConnectionError("source down")

    assert await cache.get_with_refresh("k", broken, int, ttl=60) == 1
    await cache.flush()

    assert cache.metrics.refresh_errors == 1
    assert await cache.get("k", int) == 1


async def test_get_many_and_set_many_take_one_round_trip_each(
    mock_redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = CacheManager(mock_redis)
    await cache.set("warm-up", 0, tags=["t"])  # loads the store script, once per server
    documents = {f"doc:{n}": Document(id=n, title=f"t{n}") for n in range(50)}

    with round_trips(mock_redis, monkeypatch) as sent:
        await cache.set_many(documents, ttl=60, tags=["documents", "page:1"])
    assert len(sent) == 1

    with round_trips(mock_redis, monkeypatch) as sent:
        found = await cache.get_many([*documents, "doc:missing"], Document)
    assert len(sent) == 1
    assert found == documents
    assert await mock_redis.scard("cache-tag:documents") == 50


async def test_an_entry_that_no_longer_validates_is_a_miss(mock_redis: Redis) -> None:
    cache = CacheManager(mock_redis)
    await mock_redis.set("cache:doc:1", '{"id": 1, "name": "written by an older release"}')
    source = Source()

    assert await cache.get_or_fetch("doc:1", lambda: source.read(1), Document) == Document(id=1, title="v1")
    assert cache.metrics.decode_errors == 1
    assert await cache.get("doc:1", Document) == Document(id=1, title="v1")


async def test_a_disabled_cache_passes_through_but_still_invalidates(mock_redis: Redis) -> None:
    await CacheManager(mock_redis).set("doc:3", 3, tags=["document:3"])  # cached before the switch-off
    cache = CacheManager(mock_redis, CacheRuntime(enabled=False))
    source = Source()

    await cache.get_or_fetch("doc:1", lambda: source.read(1), Document)
    await cache.get_or_fetch("doc:1", lambda: source.read(1), Document)
    await cache.set("doc:2", Document(id=2, title="x"))
    assert await cache.invalidate_tags(["document:3"]) == 1

    assert source.reads == 2
    assert await mock_redis.keys("cache:*") == []


async def test_a_redis_that_stops_answering_costs_at_most_the_command_timeout(
    mock_redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = CacheManager(mock_redis, CacheRuntime(command_timeout=0.05))
    source = Source()

    async def silent(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(10)

    monkeypatch.setattr(mock_redis, "mget", silent)
    loop = asyncio.get_running_loop()
    started = loop.time()

    assert await cache.get_or_fetch("doc:1", lambda: source.read(1), Document) == Document(id=1, title="v1")
    assert loop.time() - started < 1
    assert cache.metrics.errors == 1


async def test_with_redis_down_every_operation_passes_through_and_is_counted(caplog: pytest.LogCaptureFixture) -> None:
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.1, decode_responses=True)
    cache = CacheManager(down)
    source = Source()

    with caplog.at_level(logging.WARNING, logger="reference_app.cache"):
        assert await cache.get_or_fetch("doc:1", lambda: source.read(1), Document) == Document(id=1, title="v1")
        assert await cache.get_or_fetch("doc:1", lambda: source.read(1), Document) == Document(id=1, title="v2")
        assert await cache.get_with_refresh("doc:1", lambda: source.read(1), Document) == Document(id=1, title="v3")
        assert await cache.get_many(["a", "b"], int) == {}
        await cache.set_many({"a": 1})
        await cache.set_write_through("doc:1", Document(id=1, title="w"), source.write)
        assert await cache.invalidate_tags(["document:1"]) == 0
        assert await cache.invalidate_pattern("doc:*") == 0
    await down.aclose()

    assert source.writes == [Document(id=1, title="w")]
    assert cache.metrics.errors >= 8
    assert cache.metrics.invalidation_errors == 2
    outage_warnings = [r for r in caplog.records if "reading from the source until Redis answers" in r.message]
    assert len(outage_warnings) == 1  # one warning per outage, not one per command


async def test_caching_resumes_when_redis_answers_again(mock_redis: Redis, caplog: pytest.LogCaptureFixture) -> None:
    runtime = CacheRuntime()
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.1, decode_responses=True)
    source = Source()

    with caplog.at_level(logging.INFO, logger="reference_app.cache"):
        await CacheManager(down, runtime).get_or_fetch("doc:1", lambda: source.read(1), Document)
        await CacheManager(mock_redis, runtime).get_or_fetch("doc:1", lambda: source.read(1), Document)
        await CacheManager(mock_redis, runtime).get_or_fetch("doc:1", lambda: source.read(1), Document)
    await down.aclose()

    assert source.reads == 2
    assert (runtime.metrics.errors, runtime.metrics.hits) == (1, 1)
    assert "Redis answers again" in caplog.text
