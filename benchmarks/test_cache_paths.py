"""Cache and rate-limit paths on SQLite + fakeredis and on PostgreSQL + Redis, each read as a ratio.

Every test runs on one event loop (pytest-svc's ``async_benchmark``). ``ratios.py`` pairs them:

- a document read through ``CacheManager.get_or_fetch``: ``cache hit`` and ``cache miss`` against ``no cache``
  (the repository read alone);
- ``get_many of 100`` against ``100 gets``;
- ``invalidate_tags of 1000 entries`` (reported on its own);
- ``1000 rate-limit checks, concurrent`` against ``1000 rate-limit checks, sequential``; checks per second are in
  ``extra_info``.

The real servers: ``SVC_BENCH_PG_URL`` (default ``.../svc_bench_cache``, created and dropped here) and
``SVC_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``, which must be empty; it is emptied afterwards).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import fakeredis
import pytest
from redis.asyncio import Redis
from sqlalchemy import insert, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from benchmarks.servers import pg_admin
from pytest_svc import AsyncBenchmark
from reference_app.cache import CacheManager
from reference_app.db import Base
from reference_app.documents.models import Document
from reference_app.documents.schemas import DocumentRead
from reference_app.rate_limit.limiter import Policy, take_token
from reference_app.repository import BaseRepository

PG_URL = make_url(os.environ.get("SVC_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/svc_bench_cache"))
REDIS_URL = os.environ.get("SVC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
documents = BaseRepository(Document)
CHECKS = 1000
BURST = 100


@dataclass
class Backends:
    name: str
    engine: AsyncEngine
    redis: Redis


@asynccontextmanager
async def _backends(name: str) -> AsyncIterator[Backends]:
    if name == "sqlite+fakeredis":
        engine = create_async_engine("sqlite+aiosqlite://")
        redis: Redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    else:
        redis = Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            if await redis.dbsize():
                pytest.skip(f"{REDIS_URL} holds keys; the benchmark needs an empty database (SVC_BENCH_REDIS_URL)")
            await pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{PG_URL.database}"')
        except Exception as exc:
            await redis.aclose()
            if isinstance(exc, pytest.skip.Exception):
                raise
            pytest.skip(f"no PostgreSQL or Redis: {type(exc).__name__}: {exc}")
        await pg_admin(PG_URL, f'CREATE DATABASE "{PG_URL.database}"')
        engine = create_async_engine(PG_URL)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.execute(insert(Document), [{"title": f"doc {n}", "body": "x" * 500} for n in range(100)])
    try:
        yield Backends(name, engine, redis)
    finally:
        await redis.flushdb()
        await redis.aclose()
        await engine.dispose()
        if name != "sqlite+fakeredis":
            await pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{PG_URL.database}" WITH (FORCE)')


@pytest.fixture(params=["sqlite+fakeredis", "postgresql+redis"])
def backends(request: pytest.FixtureRequest, async_benchmark: AsyncBenchmark) -> Iterator[Backends]:
    manager = _backends(request.param)
    yield async_benchmark.run(manager.__aenter__())
    async_benchmark.run(manager.__aexit__(None, None, None))


def _label(async_benchmark: AsyncBenchmark, backends: Backends, path: str, **extra: Any) -> None:
    async_benchmark.benchmark.group = f"{backends.name}: cache"
    async_benchmark.benchmark.name = f"{backends.name}: {path}"
    async_benchmark.benchmark.extra_info.update(backend=backends.name, path=path, **extra)


@pytest.mark.parametrize("path", ["no cache", "cache miss", "cache hit"])
def test_document_read(async_benchmark: AsyncBenchmark, backends: Backends, path: str) -> None:
    cache = CacheManager(backends.redis)

    async def read() -> DocumentRead:
        async with AsyncSession(backends.engine) as session:
            return DocumentRead.model_validate(await documents.get_or_raise(session, 42))

    async def read_through_cache() -> DocumentRead:
        return await cache.get_or_fetch("document:42", read, DocumentRead, tags=["document:42"])

    async def forget() -> None:
        await cache.invalidate("document:42")

    _label(async_benchmark, backends, path)
    if path == "no cache":
        result = async_benchmark.pedantic(read, rounds=200, warmup_rounds=10)
    elif path == "cache miss":
        result = async_benchmark.pedantic(read_through_cache, setup=forget, rounds=200, warmup_rounds=10)
    else:
        async_benchmark.run(read_through_cache())
        result = async_benchmark.pedantic(read_through_cache, rounds=200, warmup_rounds=10)
        assert cache.metrics.hits >= 200
    assert result.title == "doc 41"


@pytest.mark.parametrize("path", ["get_many of 100", "100 gets"])
def test_many_keys(async_benchmark: AsyncBenchmark, backends: Backends, path: str) -> None:
    cache = CacheManager(backends.redis)
    keys = [f"n:{n}" for n in range(100)]
    async_benchmark.run(cache.set_many({key: n for key, n in zip(keys, range(100), strict=True)}))

    async def get_many() -> dict[str, int]:
        return await cache.get_many(keys, int)

    async def one_by_one() -> dict[str, int]:
        return {key: value for key in keys if (value := await cache.get(key, int)) is not None}

    _label(async_benchmark, backends, path)
    values = async_benchmark.pedantic(get_many if path.startswith("get_many") else one_by_one, rounds=50)
    assert values == {key: n for n, key in enumerate(keys)}


def test_tag_invalidation(async_benchmark: AsyncBenchmark, backends: Backends) -> None:
    cache = CacheManager(backends.redis)

    async def fill() -> None:
        await cache.set_many({f"e:{n}": n for n in range(1000)}, tags=["bulk"])

    async def invalidate() -> int:
        return await cache.invalidate_tags(["bulk"])

    _label(async_benchmark, backends, "invalidate_tags of 1000 entries")
    async_benchmark.pedantic(invalidate, setup=fill, rounds=20)
    assert async_benchmark.run(cache.get("e:1", int)) is None


@pytest.mark.parametrize("mode", ["sequential", "concurrent"])
def test_rate_limit_checks(async_benchmark: AsyncBenchmark, backends: Backends, mode: str) -> None:
    policy = Policy("bench", limit=10**9, window=60)

    async def sequential() -> None:
        for n in range(CHECKS):
            await take_token(backends.redis, policy, f"caller-{n % 50}")

    async def concurrent() -> None:
        # Bursts of 100 callers, as a busy service sees them: as many as the client pool's 100 connections.
        for start in range(0, CHECKS, BURST):
            await asyncio.gather(
                *(take_token(backends.redis, policy, f"caller-{n}") for n in range(start, start + BURST))
            )

    _label(async_benchmark, backends, f"{CHECKS} rate-limit checks, {mode}")
    async_benchmark.pedantic(sequential if mode == "sequential" else concurrent, rounds=10, warmup_rounds=1)
    stats = async_benchmark.benchmark.stats.stats
    async_benchmark.benchmark.extra_info["checks_per_second"] = round(CHECKS / stats.median)
