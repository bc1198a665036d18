"""svc_db_bind: the service's own session code runs under test, wherever it keeps what it makes sessions from.

Each inner project is examples/rebinding/service.py, a service whose dependency commits after ``yield`` and
whose handlers only flush; its engines point at a server that does not exist, so a session the plugin failed to
rebind fails loudly. In every pattern a write in one request is seen by the next request and by db_session, a
failed request leaves nothing, and nothing survives the test. The inner runs inherit SVC_DB_URL, so in CI they
run on PostgreSQL too.
"""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_setup_error

INI = """
[pytest]
pythonpath = .
svc_app = service:{app}
svc_metadata = service:Base
svc_db_bind = {bind}
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

PATTERNS = {
    "module-sessionmaker": ("module_maker_app", "service:SessionLocal"),
    "module-engine": ("module_engine_app", "service:engine"),
    "lazy-getter": ("getter_app", "service:get_sessionmaker"),
    "lifespan-sessionmaker-on-state": ("state_maker_app", "app.state.sessionmaker"),
    "lifespan-engine-on-state": ("state_engine_app", "app.state.engine"),
    "dependency-yielding-a-sessionmaker": ("sessionmaker_dependency_app", "service:SessionLocal"),
}

REQUESTS_AND_DB_SESSION = """
import pytest
from sqlalchemy import func, select
from service import Item

pytestmark = pytest.mark.asyncio


async def test_writes_are_seen_by_the_next_request_and_by_db_session(client, db_session):
    assert (await client.post("/items/ann")).status_code == 201
    assert (await client.post("/items/ann")).status_code == 409  # the first one was committed
    assert (await client.get("/items/ann")).json()["name"] == "ann"
    held = await db_session.scalar(select(Item).where(Item.name == "ann"))
    assert held is not None and held.note == ""
    assert (await client.patch("/items/ann", params={"note": "updated"})).status_code == 200
    again = await db_session.scalar(select(Item).where(Item.name == "ann"))
    assert again is held and held.note == "updated"  # the re-query shows the app's write; no lazy load needed


async def test_a_failed_request_leaves_nothing(client, db_session):
    assert (await client.post("/fail/bob")).status_code == 500
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
    assert (await client.post("/items/bob")).status_code == 201


async def test_nothing_survives_the_test(client, db_session):
    db_session.add(Item(name="from-the-test"))
    await db_session.flush()
    assert (await client.get("/items/from-the-test")).status_code == 200  # the app sees the test's rows too
    names = (await db_session.scalars(select(Item.name))).all()
    assert names == ["from-the-test"]
"""


def project(pytester: pytest.Pytester, app: str, bind: str) -> pytest.Pytester:
    pytester.copy_example("rebinding/service.py")
    pytester.makeini(INI.format(app=app, bind=bind))
    return pytester


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_services_own_dependency_runs_in_the_tests_transaction(pytester: pytest.Pytester, pattern: str) -> None:
    project(pytester, *PATTERNS[pattern]).makepyfile(REQUESTS_AND_DB_SESSION)
    result = pytester.runpytest("-p", "no:randomly", "-o", "python_files=test_*.py", "--tb=short")
    result.assert_outcomes(passed=3)


@pytest.mark.parametrize("pattern", ["module-sessionmaker", "lifespan-engine-on-state"])
def test_under_xdist_each_worker_rebinds_to_its_own_database(pytester: pytest.Pytester, pattern: str) -> None:
    project(pytester, *PATTERNS[pattern]).makepyfile(REQUESTS_AND_DB_SESSION)
    pytester.runpytest_subprocess("-n", "2", timeout=240).assert_outcomes(passed=3)


def test_the_sessionmaker_is_restored_after_the_test(pytester: pytest.Pytester) -> None:
    project(pytester, *PATTERNS["module-sessionmaker"]).makepyfile(
        """
        import pytest
        import service

        @pytest.mark.asyncio
        async def test_rebound(client):
            assert service.SessionLocal.kw["bind"] is not service.engine

        def test_restored_after_it():
            assert service.SessionLocal.kw["bind"] is service.engine
            assert "join_transaction_mode" not in service.SessionLocal.kw
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_the_services_functions_called_directly_use_the_tests_transaction(pytester: pytest.Pytester) -> None:
    # No app in the test: a module-level sessionmaker is rebound for any test that has the transaction.
    project(pytester, *PATTERNS["module-sessionmaker"]).makepyfile(
        """
        import pytest
        from sqlalchemy import select
        from service import Item, SessionLocal

        @pytest.mark.asyncio
        async def test_service_code(db_session):
            async with SessionLocal() as session:
                session.add(Item(name="direct"))
                await session.commit()
            assert (await db_session.scalars(select(Item.name))).all() == ["direct"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("bind", "message"),
    [
        ("service:Item", "*svc_db_bind is 'service:Item', which gives a DeclarativeAttributeIntercept; it must give*"),
        ("app.state.nothing", "*svc_db_bind is 'app.state.nothing', but the app has no state.nothing once its*"),
    ],
)
def test_a_bind_that_is_not_a_sessionmaker_or_engine_is_named(
    pytester: pytest.Pytester, bind: str, message: str
) -> None:
    project(pytester, "state_maker_app", bind)
    run_setup_error(pytester, "client", message)


@pytest.mark.parametrize("bind", ["service", "app.", "service:not-a-name", "app.state.1x"])
def test_a_malformed_bind_stops_the_session(pytester: pytest.Pytester, bind: str) -> None:
    project(pytester, "module_maker_app", bind).makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f'*svc_db_bind is {bind!r}; it must be "module:attribute" or an attribute of the app*']
    )


def test_bind_and_dependency_together_are_refused(pytester: pytest.Pytester) -> None:
    project(pytester, "module_maker_app", "service:SessionLocal").makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-o", "svc_db_dependency=service:db_from_module_maker")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*svc_db_dependency is set together with svc_db_bind*unset svc_db_dependency*"])
