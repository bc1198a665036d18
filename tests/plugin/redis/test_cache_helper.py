"""cache_helper: reading and writing the test's Redis as a cache does."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("decode_responses", ["false", "true"])
def test_helper_text_json_ttls_and_keys(sample_project: pytest.Pytester, decode_responses: str) -> None:
    sample_project.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_helper(cache_helper, mock_redis):
            assert cache_helper.redis is mock_redis
            await cache_helper.set("plain", "text")
            await cache_helper.set("short", 5, ttl=0.5)
            await cache_helper.set_json("user:1", {"id": 1, "name": "Ann"}, ttl=60)
            await cache_helper.set_json("user:2", [1, 2])
            assert await cache_helper.get("plain") == "text"
            assert await cache_helper.get("short") == "5"
            assert await cache_helper.get("absent") is None
            assert await cache_helper.get_json("user:1") == {"id": 1, "name": "Ann"}
            assert await cache_helper.get_json("absent", default={}) == {}
            assert await cache_helper.exists("plain") and not await cache_helper.exists("absent")
            assert await cache_helper.ttl("plain") is None
            assert 0 < await cache_helper.ttl("short") <= 0.5
            assert 59 < await cache_helper.ttl("user:1") <= 60
            with pytest.raises(KeyError, match="'absent' is not set in Redis"):
                await cache_helper.ttl("absent")
            assert await cache_helper.keys() == ["plain", "short", "user:1", "user:2"]
            assert await cache_helper.keys("user:*") == ["user:1", "user:2"]
            assert await cache_helper.delete("plain", "absent") == 1
            assert await cache_helper.delete() == 0
            assert await cache_helper.delete_pattern("user:*") == 2
            assert await cache_helper.keys() == ["short"]
        """
    )
    sample_project.runpytest("-o", f"svc_redis_decode_responses={decode_responses}").assert_outcomes(passed=1)
