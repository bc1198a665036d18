"""assert_cached: passing on what the code cached, and what a failed or forgotten check tells the reader."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_helper_checks


def test_assert_cached_passes_on_what_the_app_cached(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from pytest_svc import assert_cached

        @pytest.mark.asyncio
        async def test_read_through(client, cache_helper, mock_redis):
            assert (await client.get("/cached-items/dune")).json()["source"] == "computed"
            await assert_cached(cache_helper, "item:dune", {"name": "dune", "length": 4}, ttl_at_most=30)
            await assert_cached(mock_redis, "item:dune", ttl_at_least=25, ttl_at_most=30)
            await assert_cached(cache_helper, "item:dune", '{"name": "dune", "length": 4}')
            await assert_cached(cache_helper, "item:dune", b'{"name": "dune", "length": 4}')
            assert (await client.get("/cached-items/dune")).json()["source"] == "cache"
            await cache_helper.set("count", 3)
            await assert_cached(cache_helper, "count", 3)  # not a str: compared as JSON
            await assert_cached(cache_helper, "count", "3")
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("assert_mode", ["rewrite", "plain"])
def test_assert_cached_missing_key_lists_the_keys_there(sample_project: pytest.Pytester, assert_mode: str) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import pytest
        from pytest_svc import assert_cached

        pytestmark = pytest.mark.asyncio

        async def test_passes(cache_helper):
            await cache_helper.set("item:dune", "x")
            await assert_cached(cache_helper, "item:dune")

        async def test_fails(client, cache_helper):
            await client.get("/cached-items/dune")
            await cache_helper.set("other", "1")
            await assert_cached(cache_helper, "items:dune")
        """,
        f"--assert={assert_mode}",
    )
    result.stdout.fnmatch_lines(
        [
            '>*await assert_cached(cache_helper, "items:dune")',
            "E *AssertionError: assert_cached: 'items:dune' is not cached",
            "E *- key",
            "E *    expected: set",
            "E *    actual:   (missing)",
            "E *    fix: check the key the code builds (prefix, separator, argument order) and that the caching "
            "path ran",
            "E *similar keys: 'item:dune'",
            "E *keys in Redis (2): 'item:dune', 'other'",
        ]
    )


def test_assert_cached_value_and_ttl_mismatches(sample_project: pytest.Pytester) -> None:
    result = run_helper_checks(
        sample_project,
        """
        import pytest
        from pytest_svc import assert_cached

        pytestmark = pytest.mark.asyncio

        async def test_passes(cache_helper):
            await cache_helper.set_json("user:1", {"id": 1}, ttl=60)
            await assert_cached(cache_helper, "user:1", {"id": 1}, ttl_at_most=60)

        async def test_fails(cache_helper):
            await cache_helper.set_json("user:1", {"id": 2}, ttl=600)
            await cache_helper.set("forever", "x")
            await cache_helper.set("html", "<p>hi</p>", ttl=10)
            await cache_helper.redis.hset("profile", "id", 1)
            with pytest.raises(AssertionError) as value_and_ttl:
                await assert_cached(cache_helper, "user:1", {"id": 1}, ttl_at_most=60)
            with pytest.raises(AssertionError) as no_expiry:
                await assert_cached(cache_helper, "forever", "x", ttl_at_least=1, ttl_at_most=60)
            with pytest.raises(AssertionError) as not_json:
                await assert_cached(cache_helper, "html", {"p": "hi"}, ttl_at_least=30)
            with pytest.raises(AssertionError) as text:
                await assert_cached(cache_helper, "html", "<p>bye</p>")
            with pytest.raises(AssertionError) as wrong_type:
                await assert_cached(cache_helper, "profile")
            print("\\n".join(str(info.value) for info in (value_and_ttl, no_expiry, not_json, text, wrong_type)))
            await assert_cached(cache_helper, "user:1", {"id": 1})
        """,
        "-rA",
    )
    result.stdout.fnmatch_lines(
        [
            "assert_cached: 'user:1' does not match",
            "- value (JSON)",
            "    expected: {'id': 1}",
            "    actual:   {'id': 2}",
            "    fix: the code cached different data: check what it stores",
            "- ttl",
            "    expected: an expiry of at most 60 s",
            "    actual:   59?.* s",
            "    fix: check the TTL the code passes (seconds or milliseconds, the setting it reads)",
            "assert_cached: 'forever' does not match",
            "- ttl",
            "    expected: an expiry between 1 s and 60 s",
            "    actual:   no expiry",
            "    fix: set the key with ex=/px= (or EXPIRE it): a cache entry without a TTL is never refreshed",
            "assert_cached: 'html' does not match",
            "- value",
            "    expected: {'p': 'hi'}",
            "    actual:   '<p>hi</p>'",
            "    fix: the stored value is not JSON: pass value= as the expected text (a str), or store JSON",
            "- ttl",
            "    expected: an expiry of at least 30 s",
            "    actual:   * s",
            "assert_cached: 'html' does not match",
            "- value",
            "    expected: '<p>bye</p>'",
            "    actual:   '<p>hi</p>'",
            "    fix: check what the code stores; value= as a str compares the stored text (a dict or list compares "
            "JSON)",
            "assert_cached: 'profile' holds a Redis hash, not a string value",
            "    fix: assert_cached reads values stored with SET; read a hash with cache_helper.redis",
        ]
    )
    # The last, unguarded call fails the test on its own line.
    result.stdout.fnmatch_lines(
        [
            '>*await assert_cached(cache_helper, "user:1", {"id": 1})',
            "E *AssertionError: assert_cached: 'user:1' does not match",
            "E *- value (JSON)",
        ]
    )


def test_an_assert_cached_that_is_never_awaited_fails_the_test(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        import pytest
        from pytest_svc import assert_cached

        @pytest.fixture
        def checks_in_teardown(mock_redis):
            yield
            assert_cached(mock_redis, "from-teardown")
        """
    )
    sample_project.makepyfile(
        """
        import pytest
        from pytest_svc import assert_cached

        pytestmark = pytest.mark.asyncio

        async def test_forgot_await(cache_helper):
            assert_cached(cache_helper, "user:1", {"id": 1}, ttl_at_most=60)

        async def test_awaited(cache_helper):
            await cache_helper.set("k", "v")
            await assert_cached(cache_helper, "k", "v")

        async def test_failed_anyway(cache_helper):
            assert_cached(cache_helper, "user:1")
            raise RuntimeError("the real failure")

        async def test_forgot_in_teardown(checks_in_teardown):
            pass
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(passed=2, failed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_forgot_await _*",
            "assert_cached() was called but never awaited, so it checked nothing:",
            "    assert_cached(..., 'user:1', value={'id': 1}, ttl_at_most=60)",
            "Write `await assert_cached(...)`.",
        ]
    )
    # A test that failed for its own reason reports that reason only.
    result.stdout.fnmatch_lines(["*RuntimeError: the real failure*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_forgot_in_teardown*", "*'from-teardown'*"])
    result.stdout.no_fnmatch_line("*coroutine*never awaited*")
