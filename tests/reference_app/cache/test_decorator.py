"""``@cached``: hits and misses, TTLs, keys from the arguments or ``key_func``, tags, which cache it uses."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis

from reference_app.cache import CacheManager, cached, invalidate_tags, use_cache

pytestmark = pytest.mark.asyncio


class Point(BaseModel):
    x: int
    y: int


class Calls:
    """Counts the calls of the functions under test, by argument."""

    def __init__(self) -> None:
        self.args: list[object] = []


async def test_a_second_call_is_a_hit_of_the_declared_type(mock_redis: Redis) -> None:
    calls = Calls()

    @cached(key_prefix="point")
    async def point(x: int) -> Point:
        calls.args.append(x)
        return Point(x=x, y=x * 2)

    with use_cache(CacheManager(mock_redis)) as cache:
        first = await point(3)
        second = await point(3)
        other = await point(4)

    assert calls.args == [3, 4]
    assert first == second == Point(x=3, y=6)
    assert isinstance(second, Point)
    assert other == Point(x=4, y=8)
    assert (cache.metrics.hits, cache.metrics.misses) == (1, 2)
    assert await mock_redis.get("cache:point:3") == '{"x":3,"y":6}'  # JSON, readable by anyone


async def test_entries_live_for_the_ttl_given(mock_redis: Redis) -> None:
    @cached(key_prefix="short", ttl=30)
    async def short() -> int:
        return 1

    @cached(key_prefix="default")
    async def default() -> int:
        return 1

    with use_cache(CacheManager(mock_redis)):
        await short()
        await default()

    assert 29_000 < await mock_redis.pttl("cache:short") <= 30_000
    assert 299_000 < await mock_redis.pttl("cache:default") <= 300_000


async def test_the_key_is_made_of_the_arguments_however_they_are_passed(mock_redis: Redis) -> None:
    calls = Calls()

    @cached(key_prefix="page")
    async def page(owner: str, number: int = 1, *, size: int = 10) -> list[int]:
        calls.args.append((owner, number, size))
        return list(range(number, number + size))

    with use_cache(CacheManager(mock_redis)):
        await page("ann", 2, size=3)
        await page(owner="ann", size=3, number=2)
        await page("ann")

    assert calls.args == [("ann", 2, 3), ("ann", 1, 10)]
    assert page.key("ann", 2, size=3) == "page:ann:2:3"
    assert sorted(await mock_redis.keys("cache:*")) == ["cache:page:ann:1:10", "cache:page:ann:2:3"]


async def test_key_func_picks_the_arguments_that_name_the_entry(mock_redis: Redis) -> None:
    calls = Calls()

    # The connection argument is not part of the result: key_func leaves it out (it could not be keyed anyway).
    @cached(key_prefix="user", key_func=lambda user_id, **_: str(user_id))
    async def load_user(connection: object, user_id: int) -> dict[str, int]:
        calls.args.append(user_id)
        return {"id": user_id}

    with use_cache(CacheManager(mock_redis)):
        assert await load_user(object(), 7) == {"id": 7}
        assert await load_user(object(), user_id=7) == {"id": 7}

    assert calls.args == [7]
    assert await mock_redis.exists("cache:user:7") == 1


async def test_an_argument_without_a_json_form_asks_for_key_func(mock_redis: Redis) -> None:
    @cached(key_prefix="user")
    async def load_user(connection: object, user_id: int) -> int:
        return user_id

    with use_cache(CacheManager(mock_redis)), pytest.raises(TypeError, match="Pass key_func="):
        await load_user(object(), 7)


async def test_tags_from_the_arguments_let_one_write_drop_every_entry_of_a_user(mock_redis: Redis) -> None:
    calls = Calls()

    @cached(key_prefix="profile", tags=lambda user_id, **_: [f"user:{user_id}"])
    async def profile(user_id: int) -> str:
        calls.args.append(("profile", user_id))
        return f"profile {user_id}"

    @cached(key_prefix="orders", tags=lambda user_id, **_: [f"user:{user_id}", "orders"])
    async def orders(user_id: int, page: int) -> list[str]:
        calls.args.append(("orders", user_id, page))
        return [f"order {page}"]

    with use_cache(CacheManager(mock_redis)):
        for _ in range(2):
            await profile(1)
            await orders(1, page=1)
            await orders(1, page=2)
            await profile(2)
        assert len(calls.args) == 4

        assert await invalidate_tags(["user:1"]) == 3
        await profile(1)
        await profile(2)

    assert calls.args[4:] == [("profile", 1)]  # user 2's profile was not touched


async def test_fixed_tags_and_invalidate_of_one_call(mock_redis: Redis) -> None:
    calls = Calls()

    @cached(key_prefix="settings", tags=["settings"])
    async def settings(name: str) -> str:
        calls.args.append(name)
        return name.upper()

    with use_cache(CacheManager(mock_redis)):
        await settings("a")
        await settings("b")
        assert settings.tags("a") == ["settings"]
        assert await settings.invalidate("a") == 1
        await settings("a")
        await settings("b")

    assert calls.args == ["a", "b", "a"]


async def test_an_explicit_cache_needs_no_context(mock_redis: Redis) -> None:
    @cached(key_prefix="answer", cache=CacheManager(mock_redis))
    async def answer() -> int:
        return 42

    assert await answer() == 42
    assert await mock_redis.get("cache:answer") == "42"


async def test_without_a_cache_the_call_says_how_to_provide_one() -> None:
    @cached(key_prefix="answer")
    async def answer() -> int:
        return 42

    with pytest.raises(RuntimeError, match=r"Depends\(get_cache\)"):
        await answer()


async def test_only_async_functions_can_be_cached() -> None:
    def sync() -> int:
        return 1

    with pytest.raises(TypeError, match="caches async functions"):
        cached(key_prefix="sync")(sync)  # type: ignore[arg-type]
