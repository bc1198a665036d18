"""live_server: the app in its own uvicorn process, over a real socket, with its own database and Redis."""

from __future__ import annotations

import json
import os
import socket

import httpx
import pytest

from pytest_svc.server.live_server import LiveServer

SERVES_AND_PERSISTS = """
    import json
    from pathlib import Path

    import httpx
    import pytest
    import redis.asyncio
    from sqlalchemy import func, select

    import sampleapp

    @pytest.mark.asyncio
    async def test_serves_over_a_socket(live_server, current_user, mock_auth_token):
        assert live_server.url == f"http://127.0.0.1:{live_server.port}"
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            assert (await client.post("/items/a")).status_code == 201
            assert (await client.get("/items")).json() == ["a"]
            me = await client.get("/me", headers={"Authorization": f"Bearer {mock_auth_token()}"})
            assert me.status_code == 200, me.text
            assert me.json()["email"] == current_user.email
            assert (await client.get("/me")).status_code == 401
            forged = mock_auth_token()[:-3] + "AAA"
            assert (await client.get("/me", headers={"Authorization": f"Bearer {forged}"})).status_code == 401
            assert (await client.post("/hits")).json() == {"hits": 1}
        Path("live.json").write_text(json.dumps({"port": live_server.port, "pid": live_server.pid}))

    def test_one_server_per_session_whose_writes_last(live_server):
        assert json.loads(Path("live.json").read_text())["pid"] == live_server.pid
        assert httpx.get(live_server.url + "/items").json() == ["a"]

    @pytest.mark.asyncio
    async def test_its_database_and_redis_are_its_own(live_server, db_session, mock_redis):
        assert await db_session.scalar(select(func.count()).select_from(sampleapp.Item)) == 0
        assert await mock_redis.get("hits") is None
        server_redis = redis.asyncio.Redis.from_url(live_server.redis_url)
        try:
            assert await server_redis.get("hits") == b"1"
        finally:
            await server_redis.aclose()
        assert "_live" in live_server.db_url
"""


def _is_listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serves_over_a_real_socket_and_leaves_nothing_behind(
    sample_project: pytest.Pytester, live_server: LiveServer
) -> None:
    # This outer session has a live server of its own: the inner session's must not collide with it.
    sample_project.makepyfile(SERVES_AND_PERSISTS)
    sample_project.runpytest().assert_outcomes(passed=3)
    inner = json.loads((sample_project.path / "live.json").read_text())
    assert inner["port"] != live_server.port
    assert not _is_listening(inner["port"])
    assert not _is_running(inner["pid"])
    assert httpx.get(live_server.url + "/health/live").json() == {"status": "ok"}


def test_startup_failure_shows_the_servers_own_error(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        brokenapp="""
        from contextlib import asynccontextmanager
        from fastapi import FastAPI

        @asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("cannot reach the payments service: boom-42")
            yield

        app = FastAPI(lifespan=lifespan)
        """
    )
    sample_project.makepyfile("def test_needs_the_server(live_server):\n    pass\n")
    result = sample_project.runpytest("--svc-app=brokenapp:app")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pytest-svc: live_server: the server for*exited with code*", "*boom-42*"])
    result.stdout.no_fnmatch_line("*Traceback (most recent call last)*live_server.py*")


def test_an_app_from_the_hook_alone_cannot_cross_into_the_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from fastapi import FastAPI

        def pytest_svc_app(config):
            return FastAPI()
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile("def test_needs_the_server(live_server):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*svc_app is not set, and the live_server fixture needs it.*", "*an app given only by pytest_svc_app*"]
    )


def test_env_hook_reaches_the_server_process(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        envapp="""
        import os
        import sampleapp

        app = sampleapp.create_app()

        @app.get("/env/{name}")
        async def env(name: str) -> dict:
            return {"value": os.environ.get(name)}
        """
    )
    sample_project.makeconftest(
        """
        def pytest_svc_live_server_env(config, db_url, redis_url):
            return {"GREETING": "hello from the hook", "SERVER_REDIS": redis_url}
        """
    )
    sample_project.makepyfile(
        """
        import httpx

        def test_env(live_server):
            assert httpx.get(live_server.url + "/env/GREETING").json() == {"value": "hello from the hook"}
            assert httpx.get(live_server.url + "/env/SERVER_REDIS").json() == {"value": live_server.redis_url}
        """
    )
    sample_project.runpytest("--svc-app=envapp:app").assert_outcomes(passed=1)


def test_each_xdist_worker_has_its_own_server_database_and_redis(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import json
        import os
        from pathlib import Path

        import httpx
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_worker(live_server, n):
            assert httpx.post(f"{live_server.url}/items/n{n}").status_code == 201
            worker = os.environ["PYTEST_XDIST_WORKER"]
            seen = {"port": live_server.port, "db": live_server.db_url, "redis": live_server.redis_url}
            Path(f"live-{worker}.json").write_text(json.dumps(seen))
        """
    )
    sample_project.runpytest_subprocess("-n", "2", "-p", "xdist").assert_outcomes(passed=4)
    seen = [json.loads(path.read_text()) for path in sorted(sample_project.path.glob("live-gw*.json"))]
    assert len(seen) == 2
    for key in ("port", "db", "redis"):
        assert seen[0][key] != seen[1][key], key
    if os.environ.get("SVC_DB_URL"):
        assert seen[0]["db"].endswith("_gw0_live")
        assert seen[1]["db"].endswith("_gw1_live")
    # The tests use the inner run's index and the next; the live servers the two after them.
    if url := os.environ.get("SVC_REDIS_URL"):
        base = int(url.rsplit("/", 1)[1])
        assert [entry["redis"].rsplit("/", 1)[1] for entry in seen] == [str(base + 2), str(base + 3)]


def test_the_places_the_lifespan_keeps_resources_in_are_the_servers_own(pytester: pytest.Pytester) -> None:
    # The service's lifespan makes an engine, sessionmaker and Redis client pointing at servers that do not
    # exist; in the server process they are rebound to the server's own database and Redis once it has started.
    pytester.copy_example("rebinding/service.py")
    pytester.makeini(
        "[pytest]\npythonpath = .\nsvc_app = service:state_maker_app\nsvc_metadata = service:Base\n"
        "svc_db_bind = app.state.sessionmaker\nsvc_redis_client = app.state.redis\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        """
        import httpx
        import pytest
        import redis.asyncio

        @pytest.mark.asyncio
        async def test_over_a_socket(live_server):
            async with httpx.AsyncClient(base_url=live_server.url) as client:
                assert (await client.post("/items/ann")).status_code == 201
                assert (await client.post("/items/ann")).status_code == 409
                assert (await client.get("/items/ann")).json()["name"] == "ann"
                assert (await client.post("/hits")).json() == {"hits": 1}
            server_redis = redis.asyncio.Redis.from_url(live_server.redis_url)
            try:
                assert await server_redis.get("hits") == b"1"
            finally:
                await server_redis.aclose()
        """
    )
    pytester.runpytest_subprocess(timeout=120).assert_outcomes(passed=1)
