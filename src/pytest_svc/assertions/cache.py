"""``await assert_cached(...)``: assert what the code under test cached in Redis.

Reading Redis needs the event loop, so ``assert_cached`` is awaited. An assertion that is never awaited never
runs, and a test would pass without checking anything; so ``assert_cached()`` returns an awaitable that records
itself, and a test (or fixture) phase that ends with one not awaited fails, naming the call (the hooks below).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import redis.asyncio

from pytest_svc.assertions._report import MISSING, UNCHECKED, Text, mismatch
from pytest_svc.redis.cache_helper import CacheTestHelper

_KEYS_SHOWN = 20

NOT_CACHED_MESSAGE = "assert_cached: {key!r} is not cached\n- {missing}{context}"
NOT_A_STRING_MESSAGE = (
    "assert_cached: {key!r} holds a Redis {kind}, not a string value\n"
    "    fix: assert_cached reads values stored with SET; read a {kind} with cache_helper.redis"
)
MISMATCH_MESSAGE = "assert_cached: {key!r} does not match{problems}"
NOT_AWAITED_MESSAGE = (
    "assert_cached() was called but never awaited, so it checked nothing:\n{calls}\nWrite `await assert_cached(...)`."
)


# assert_cached() calls made and not yet awaited, checked at the end of every test phase.
_pending: list[_AssertCached] = []


class _AssertCached:
    def __init__(self, target: CacheTestHelper | redis.asyncio.Redis, key: str, checks: dict[str, Any]) -> None:
        self._cache = target if isinstance(target, CacheTestHelper) else CacheTestHelper(target)
        self._key = key
        self._checks = checks
        _pending.append(self)

    def __repr__(self) -> str:
        given = "".join(
            f", {name}={value!r}"
            for name, value in self._checks.items()
            if value is not UNCHECKED and not (name.startswith("ttl") and value is None)
        )
        return f"assert_cached(..., {self._key!r}{given})"

    def __await__(self) -> Generator[Any, None, None]:
        __tracebackhide__ = True
        if self in _pending:
            _pending.remove(self)
        return (yield from _check_cached(self._cache, self._key, **self._checks).__await__())


def assert_cached(
    redis_or_helper: CacheTestHelper | redis.asyncio.Redis,
    key: str,
    value: Any = UNCHECKED,
    *,
    ttl_at_most: float | None = None,
    ttl_at_least: float | None = None,
) -> Awaitable[None]:
    """Assert ``key`` is cached: ``await assert_cached(cache_helper, "user:1", {"id": 1}, ttl_at_most=60)``.

    Must be awaited (it reads Redis); a call left un-awaited fails the test. ``value`` compares a ``str`` with
    the stored text, ``bytes`` with the stored bytes, and anything else with the stored value decoded as JSON.
    ``ttl_at_most`` / ``ttl_at_least`` (seconds) require an expiry within those bounds. A missing key fails
    listing the keys that are there. Accepts ``cache_helper`` or any ``redis.asyncio.Redis`` client.
    """
    checks = {"value": value, "ttl_at_most": ttl_at_most, "ttl_at_least": ttl_at_least}
    return _AssertCached(redis_or_helper, key, checks)


def _seconds(millis: int) -> Text:
    return Text(f"{millis / 1000:g} s")


async def _missing_key_context(cache: CacheTestHelper, key: str) -> str:
    keys = await cache.keys()
    if not keys:
        return "\nRedis is empty"
    shown = ", ".join(repr(k) for k in keys[:_KEYS_SHOWN]) + (", ..." if len(keys) > _KEYS_SHOWN else "")
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f"\nsimilar keys: {', '.join(repr(k) for k in close)}" if close else ""
    return f"{hint}\nkeys in Redis ({len(keys)}): {shown}"


def _value_problem(stored: str | bytes, expected: Any) -> str | None:
    raw = stored if isinstance(stored, bytes) else stored.encode()
    if isinstance(expected, bytes):
        if raw != expected:
            return mismatch("value", expected, raw, "check what the code stores (serialization, encoding)")
        return None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return mismatch("value", expected, raw, "the stored value is not UTF-8 text: pass value= as bytes")
    if isinstance(expected, str):
        if text != expected:
            fix = "check what the code stores; value= as a str compares the stored text (a dict or list compares JSON)"
            return mismatch("value", expected, text, fix)
        return None
    try:
        decoded = json.loads(text)
    except ValueError:
        fix = "the stored value is not JSON: pass value= as the expected text (a str), or store JSON"
        return mismatch("value", expected, text, fix)
    if decoded != expected:
        return mismatch("value (JSON)", expected, decoded, "the code cached different data: check what it stores")
    return None


async def _check_cached(
    cache: CacheTestHelper, key: str, value: Any, ttl_at_most: float | None, ttl_at_least: float | None
) -> None:
    __tracebackhide__ = True
    client = cache.redis
    kind = cache.as_text(await client.type(key))
    if kind == "none":
        missing = mismatch(
            "key",
            Text("set"),
            MISSING,
            "check the key the code builds (prefix, separator, argument order) and that the caching path ran",
        )
        context = await _missing_key_context(cache, key)
        raise AssertionError(NOT_CACHED_MESSAGE.format(key=key, missing=missing, context=context))
    if kind != "string":
        raise AssertionError(NOT_A_STRING_MESSAGE.format(key=key, kind=kind))
    problems = []
    if value is not UNCHECKED:
        stored = await client.get(key)
        if stored is not None and (problem := _value_problem(stored, value)) is not None:
            problems.append(problem)
    if ttl_at_most is not None or ttl_at_least is not None:
        millis = int(await client.pttl(key))
        low, high = ttl_at_least, ttl_at_most
        if low is not None and high is not None:
            expected = Text(f"an expiry between {low:g} s and {high:g} s")
        else:
            expected = Text(f"an expiry of at most {high:g} s" if low is None else f"an expiry of at least {low:g} s")
        if millis < 0:
            fix = "set the key with ex=/px= (or EXPIRE it): a cache entry without a TTL is never refreshed"
            problems.append(mismatch("ttl", expected, Text("no expiry"), fix))
        elif (high is not None and millis > high * 1000) or (low is not None and millis < low * 1000):
            fix = "check the TTL the code passes (seconds or milliseconds, the setting it reads)"
            problems.append(mismatch("ttl", expected, _seconds(millis), fix))
    if problems:
        raise AssertionError(MISMATCH_MESSAGE.format(key=key, problems="".join(f"\n- {p}" for p in problems)))


def _fail_if_not_awaited() -> None:
    if _pending:
        calls = "\n".join(f"    {call!r}" for call in _pending)
        _pending.clear()
        pytest.fail(NOT_AWAITED_MESSAGE.format(calls=calls), pytrace=False)


def _phase(clear_first: bool = False) -> Generator[None, Any, Any]:
    if clear_first:
        _pending.clear()
    try:
        result = yield
    except BaseException:
        _pending.clear()  # the phase failed already; a missing await is not the news
        raise
    _fail_if_not_awaited()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _phase(clear_first=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _phase())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _phase())
