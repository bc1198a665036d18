"""redis_down: every command on mock_redis (and so the app's client) fails for the block, then Redis is back."""

from __future__ import annotations

import pytest


def test_commands_fail_inside_the_block_and_work_after_it(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        import redis.exceptions

        pytestmark = pytest.mark.asyncio

        async def test_outage(mock_redis, redis_down):
            await mock_redis.set("kept", "1")
            pipeline_made_before, unused_pipeline = mock_redis.pipeline(), mock_redis.pipeline()
            assert not redis_down.active
            with redis_down():
                assert redis_down.active
                for command in (
                    lambda: mock_redis.get("kept"),
                    lambda: mock_redis.set("new", "1"),
                    lambda: mock_redis.ping(),
                    lambda: mock_redis.eval("return 1", 0),
                    lambda: mock_redis.pipeline().incr("n").incr("n").execute(),
                    lambda: pipeline_made_before.get("kept").execute(),
                    lambda: mock_redis.pubsub().subscribe("channel"),
                    lambda: mock_redis.scan(0),
                ):
                    with pytest.raises(redis.exceptions.ConnectionError, match="simulated outage"):
                        await command()
            assert not redis_down.active
            assert await mock_redis.get("kept") == b"1"
            assert await mock_redis.get("new") is None
            assert await unused_pipeline.get("kept").execute() == [b"1"]

        async def test_the_app_sees_the_outage(client, redis_down):
            assert (await client.get("/redis-status")).json() == {"redis": "up"}
            with redis_down():
                response = await client.get("/redis-status")
                assert (response.status_code, response.json()) == (503, {"redis": "down"})
            assert (await client.get("/redis-status")).json() == {"redis": "up"}

        async def test_start_and_stop_nest(mock_redis, redis_down):
            redis_down.start()
            with redis_down():
                pass
            with pytest.raises(redis.exceptions.ConnectionError):
                await mock_redis.ping()  # the outer start() still holds
            redis_down.stop()
            assert await mock_redis.ping()

        async def test_an_exception_in_the_block_still_brings_redis_back(mock_redis, redis_down):
            with pytest.raises(ZeroDivisionError), redis_down():
                1 / 0
            assert await mock_redis.ping()

        async def test_left_down(mock_redis, redis_down):
            await mock_redis.set("k", "v")
            redis_down.start()  # never stopped: teardown brings Redis back before mock_redis is emptied

        async def test_next_test_is_fine(mock_redis):
            assert await mock_redis.dbsize() == 0
        """
    )
    sample_project.runpytest().assert_outcomes(passed=6)


def test_a_synchronous_test_gets_the_make_it_async_error(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        def test_sync(redis_down):
            pass
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*is not an async test*mock_redis*Make the test `async def`*"])


def test_redis_outage_takes_down_any_client(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import fakeredis
        import pytest
        import redis.exceptions
        from pytest_svc import RedisOutage

        @pytest.mark.asyncio
        async def test_other_client():
            client = fakeredis.FakeAsyncRedis()
            outage = RedisOutage(client, message="cache cluster unreachable")
            with outage():
                with pytest.raises(redis.exceptions.ConnectionError, match="cache cluster unreachable"):
                    await client.get("k")
            assert await client.get("k") is None
            await client.aclose()
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)
