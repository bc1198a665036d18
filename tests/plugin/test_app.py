"""app, client and the dependency overrides: per-test lifespan, overrides removed afterwards, hooks honoured."""

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
