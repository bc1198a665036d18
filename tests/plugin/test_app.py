"""app, client and the dependency overrides: the lifespan per test or off, overrides removed afterwards, hooks
honoured, the clients' base URL from svc_base_url or make_client(base_url=...)."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_setup_error


def test_lifespan_runs_per_test_and_overrides_are_removed(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        import sampleapp

        @pytest.mark.asyncio
        async def test_first(app, client):
            assert app is sampleapp.app
            assert sampleapp.lifespan_events == ["startup"]
            assert set(app.dependency_overrides) == {
                sampleapp.get_session, sampleapp.get_redis, sampleapp.authenticate
            }
            assert str(client.base_url) == "http://test"

        @pytest.mark.asyncio
        async def test_second(client):
            assert sampleapp.lifespan_events == ["startup", "shutdown", "startup"]

        def test_third_without_the_app():
            assert sampleapp.lifespan_events == ["startup", "shutdown", "startup", "shutdown"]
            assert sampleapp.app.dependency_overrides == {}
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_factory_is_called_once_per_session(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        appfactory="""
        import sampleapp

        calls = []

        def make_app():
            calls.append(1)
            return sampleapp.create_app()
        """
    )
    sample_project.makepyfile(
        """
        import pytest
        import appfactory

        @pytest.mark.asyncio
        @pytest.mark.parametrize("n", range(3))
        async def test_uses_factory(client, n):
            assert (await client.post(f"/items/f{n}")).status_code == 201
            assert appfactory.calls == [1]
        """
    )
    sample_project.runpytest("-o", "svc_app=appfactory:make_app").assert_outcomes(passed=3)


def test_pytest_svc_app_hook_replaces_the_setting(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        from fastapi import FastAPI

        def pytest_svc_app(config):
            app = FastAPI()

            @app.get("/who")
            async def who():
                return "from the hook"

            return app
        """
    )
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_hook_app(client):
            assert (await client.get("/who")).json() == "from the hook"
        """
    )
    result = sample_project.runpytest(
        "-o", "svc_db_dependency=", "-o", "svc_redis_dependency=", "-o", "svc_user_dependency="
    )
    result.assert_outcomes(passed=1)


def test_dependency_overrides_hook_supports_a_sessionmaker_dependency(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        import sampleapp

        def pytest_svc_dependency_overrides(app, request):
            maker = request.getfixturevalue("db_sessionmaker")
            return {sampleapp.get_sessionmaker: lambda: maker}
        """
    )
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import select
        from sampleapp import Item

        pytestmark = pytest.mark.asyncio

        async def test_writes_through_the_maker(client, db_session):
            assert (await client.post("/maker-items/via-maker")).status_code == 201
            assert (await db_session.scalars(select(Item.name))).all() == ["via-maker"]

        async def test_gone(db_session):
            assert (await db_session.scalars(select(Item.name))).all() == []
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_plain_asgi_app_without_lifespan_or_overrides(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        rawapp="""
        async def app(scope, receive, send):
            if scope["type"] != "http":
                raise RuntimeError("lifespan not supported")
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"raw"})
        """
    )
    pytester.makefile(
        ".ini",
        pytest="[pytest]\npythonpath = .\nsvc_app = rawapp:app\nasyncio_default_fixture_loop_scope = function\n",
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_raw(client):
            assert (await client.get("/")).text == "raw"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_overrides_on_an_app_without_dependency_overrides_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        rawapp="""
        async def app(scope, receive, send):
            raise RuntimeError("never called")

        def get_redis():
            return None
        """
    )
    pytester.makefile(
        ".ini",
        pytest="[pytest]\npythonpath = .\nsvc_app = rawapp:app\nsvc_redis_dependency = rawapp:get_redis\n"
        "asyncio_default_fixture_loop_scope = function\n",
    )
    run_setup_error(pytester, "client", "*the app is a function without dependency_overrides*")


def test_make_client_can_return_the_500_instead_of_raising(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(
        """
        import sampleapp

        @sampleapp.app.get("/boom")
        async def boom():
            raise RuntimeError("internal detail")
        """
    )
    sample_project.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_raises_by_default(client):
            with pytest.raises(RuntimeError, match="internal detail"):
                await client.get("/boom")

        async def test_returns_the_response(make_client):
            response = await make_client(raise_app_exceptions=False).get("/boom")
            assert response.status_code == 500
            assert "internal detail" not in response.text
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


POOLED_APP = """
from contextlib import asynccontextmanager

import redis.asyncio
from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    # As in production: the pool opens on the real server named in the app's settings, which tests cannot reach.
    app.state.redis = redis.asyncio.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=2)
    await app.state.redis.ping()
    yield
    await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan)


@app.get("/health/live")
async def live():
    return {"status": "ok"}
"""


@pytest.mark.parametrize("lifespan", ["per-test", "off"])
def test_svc_lifespan_off_never_runs_the_lifespan(pytester: pytest.Pytester, lifespan: str) -> None:
    pytester.makepyfile(pooledapp=POOLED_APP)
    pytester.makeini(
        f"[pytest]\npythonpath = .\nsvc_app = pooledapp:app\nsvc_lifespan = {lifespan}\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_live(client):
            assert (await client.get("/health/live")).json() == {"status": "ok"}
        """
    )
    result = pytester.runpytest()
    if lifespan == "off":
        result.assert_outcomes(passed=1)
    else:  # the lifespan ran, and could not reach the server
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*ConnectionError*127.0.0.1:9*"])


def test_svc_lifespan_off_keeps_the_sample_lifespan_from_running(sample_project: pytest.Pytester) -> None:
    ini = sample_project.path / "pytest.ini"
    ini.write_text(ini.read_text() + "\nsvc_lifespan = off\n")
    sample_project.makepyfile(
        """
        import pytest
        import sampleapp

        @pytest.mark.asyncio
        async def test_first(client):
            assert (await client.get("/lifespan")).json() == []

        @pytest.mark.asyncio
        async def test_second(client):
            assert sampleapp.lifespan_events == []
        """
    )
    sample_project.runpytest().assert_outcomes(passed=2)


def test_make_client_takes_any_httpx_keyword_base_url_included(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import httpx
        import pytest

        pytestmark = pytest.mark.asyncio

        async def test_base_url_and_others(make_client):
            client = make_client(base_url="http://test/v1", follow_redirects=True, cookies={"c": "1"}, timeout=3)
            assert str(client.base_url) == "http://test/v1/"
            assert client.follow_redirects is True
            assert client.cookies["c"] == "1"
            response = await make_client(base_url="http://other.example/").get("/lifespan")
            assert (response.status_code, str(response.url)) == (200, "http://other.example/lifespan")

        async def test_headers_merge_over_the_users_token(make_client, current_user):
            client = make_client(current_user, headers={"X-Trace": "t1"})
            assert client.headers["X-Trace"] == "t1"
            assert client.headers["Authorization"].startswith("Bearer ")

        async def test_transport_is_refused_with_the_reason(make_client):
            with pytest.raises(TypeError, match=r"make_client\\(\\) makes the transport to the app itself"):
                make_client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


TRUSTED_HOST_APP = """
from fastapi import APIRouter, FastAPI, Request
from starlette.middleware.trustedhost import TrustedHostMiddleware

app = FastAPI()
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["api.example.com"])
v1 = APIRouter(prefix="/v1")


@v1.get("/whoami")
async def whoami(request: Request):
    return {"url": str(request.url)}


app.include_router(v1)
"""


@pytest.mark.parametrize(
    ("base_url", "url_seen"),
    [
        (None, None),
        ("https://api.example.com", "https://api.example.com/v1/whoami"),
        ("https://api.example.com/v1", "https://api.example.com/v1/whoami"),
    ],
)
def test_svc_base_url_sets_the_clients_host_and_path_prefix(
    pytester: pytest.Pytester, base_url: str | None, url_seen: str | None
) -> None:
    pytester.makepyfile(hostapp=TRUSTED_HOST_APP)
    setting = f"svc_base_url = {base_url}\n" if base_url else ""
    pytester.makeini(
        f"[pytest]\npythonpath = .\nsvc_app = hostapp:app\n{setting}asyncio_default_fixture_loop_scope = function\n"
    )
    path = "/whoami" if base_url and base_url.endswith("/v1") else "/v1/whoami"
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.asyncio
        async def test_whoami(client, make_client):
            response = await client.get("{path}")
            url_seen = {url_seen!r}
            if url_seen is None:  # the default host, test, is not allowed
                assert response.status_code == 400
                assert response.text == "Invalid host header"
            else:
                assert response.json() == {{"url": url_seen}}
                assert str(make_client().base_url) == str(client.base_url)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_db_dependency_replacement_commits_when_the_request_succeeds(pytester: pytest.Pytester) -> None:
    # svc_db_dependency replaces the app's dependency; like FastAPI's documented one, it commits after a request
    # that succeeded (the duplicate then fails) and rolls back one that raised (nothing of it is left).
    pytester.copy_example("rebinding/service.py")
    pytester.makeini(
        "[pytest]\npythonpath = .\nsvc_app = service:module_maker_app\nsvc_metadata = service:Base\n"
        "svc_db_dependency = service:db_from_module_maker\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from service import Item

        @pytest.mark.asyncio
        async def test_commit_and_rollback(client, db_session):
            assert (await client.post("/items/ann")).status_code == 201
            assert (await client.post("/items/ann")).status_code == 409
            assert (await client.post("/fail/bob")).status_code == 500
            assert (await db_session.scalars(select(Item.name))).all() == ["ann"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
