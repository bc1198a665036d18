"""db_session_options and db_engine_options: the user's options reach the sessions and the engine; bad ones say so."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_setup_error

# The default backend (in-memory SQLite, or PostgreSQL when SVC_DB_URL is set) and a SQLite file.
BACKENDS = {"default": (), "sqlite-file": ("--svc-db-url=sqlite+aiosqlite:///data/app.db",)}

SESSION_OPTIONS_CONFTEST = """
import pytest
from sqlalchemy.ext.asyncio import AsyncSession


class AppSession(AsyncSession):
    pass


@pytest.fixture(scope="session")
def db_session_options():
    return {{"class_": AppSession, "autoflush": False, "info": {{"tenant": "t1"}}{extra}}}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_session_options_reach_db_session_and_db_sessionmaker(sample_project: pytest.Pytester, backend: str) -> None:
    sample_project.makeconftest(SESSION_OPTIONS_CONFTEST.format(extra=""))
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import func, select
        from sampleapp import Item
        from conftest import AppSession

        pytestmark = pytest.mark.asyncio

        async def test_options(db_session, db_sessionmaker):
            for session in (db_session, db_sessionmaker()):
                assert type(session) is AppSession
                assert session.sync_session.autoflush is False
                assert session.info == {"tenant": "t1"}
                # The plugin's default stays under the user's options.
                assert session.sync_session.expire_on_commit is False
            db_session.add(Item(name="unflushed"))
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0  # autoflush is off
            await db_session.commit()
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 1

        async def test_rolled_back_all_the_same(db_session):
            assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
        """
    )
    sample_project.runpytest("-p", "no:randomly", *BACKENDS[backend]).assert_outcomes(passed=2)


def test_session_options_can_set_the_plugins_defaults_back(sample_project: pytest.Pytester) -> None:
    sample_project.makeconftest(SESSION_OPTIONS_CONFTEST.format(extra=', "expire_on_commit": True'))
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import inspect
        from sampleapp import Item

        @pytest.mark.asyncio
        async def test_expired_after_commit(db_session):
            assert db_session.sync_session.expire_on_commit is True
            item = Item(name="x")
            db_session.add(item)
            await db_session.commit()
            assert "name" in inspect(item).expired_attributes
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


OPTIONS_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def {fixture}():
    return {value}
"""


@pytest.mark.parametrize(
    ("fixture", "value", "message"),
    [
        ("db_session_options", "[('autoflush', False)]", "*the db_session_options fixture returned a list; it must*"),
        ("db_session_options", "{'bind': None}", "*db_session_options sets 'bind', which the plugin sets itself*"),
        (
            "db_session_options",
            "{'join_transaction_mode': 'rollback_only'}",
            "*db_session_options sets 'join_transaction_mode', which the plugin sets itself*create_savepoint*",
        ),
        (
            "db_session_options",
            "{'autoflsh': False}",
            "*db_session_options has an argument async_sessionmaker does not take*autoflsh*",
        ),
        ("db_engine_options", "None", "*the db_engine_options fixture returned a NoneType*"),
        ("db_engine_options", "{'poolclass': None}", "*db_engine_options sets 'poolclass', which the plugin sets*"),
        ("db_engine_options", "{'echoo': True}", "*db_engine_options has an argument create_async_engine*echoo*"),
        (
            "db_engine_options",
            "{'execution_options': {'isolation_level': 'AUTOCOMMIT'}}",
            "*db_engine_options sets isolation_level='AUTOCOMMIT'*could not roll anything back*",
        ),
        (
            "db_engine_options",
            "{'isolation_level': 'autocommit'}",
            "*db_engine_options sets isolation_level='autocommit'*",
        ),
    ],
)
def test_bad_options_fail_naming_the_fixture_and_the_fix(
    sample_project: pytest.Pytester, fixture: str, value: str, message: str
) -> None:
    sample_project.makeconftest(OPTIONS_CONFTEST.format(fixture=fixture, value=value))
    result = run_setup_error(sample_project, "db_session", message)
    result.stdout.fnmatch_lines([f"*{fixture}*"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_engine_options_reach_the_test_engine(sample_project: pytest.Pytester, backend: str) -> None:
    sample_project.makeconftest(
        OPTIONS_CONFTEST.format(
            fixture="db_engine_options", value="{'execution_options': {'svc_marker': 7}, 'pool_pre_ping': True}"
        )
    )
    sample_project.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_engine(db_engine, db_connection):
            assert db_engine.get_execution_options()["svc_marker"] == 7
            assert db_connection.sync_connection.get_execution_options()["svc_marker"] == 7
            assert db_engine.pool._pre_ping is True
            assert not db_engine.echo
        """
    )
    sample_project.runpytest(*BACKENDS[backend]).assert_outcomes(passed=1)


def test_engine_connect_args_reach_the_driver(sample_project: pytest.Pytester) -> None:
    # A driver-specific option, per backend: asyncpg's server_settings, sqlite3's timeout.
    value = (
        "({'connect_args': {'server_settings': {'application_name': 'svc-options'}}} "
        "if os.environ.get('SVC_DB_URL') else {'connect_args': {'timeout': 0.25}})"
    )
    conftest = "import os\n" + OPTIONS_CONFTEST.format(fixture="db_engine_options", value=value)
    sample_project.makeconftest(conftest)
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import text

        @pytest.mark.asyncio
        async def test_connect_args(db_connection):
            if db_connection.dialect.name == "postgresql":
                name = await db_connection.scalar(text("SELECT current_setting('application_name')"))
                assert name == "svc-options"
            else:
                assert await db_connection.scalar(text("PRAGMA busy_timeout")) == 250
        """
    )
    sample_project.runpytest().assert_outcomes(passed=1)


ECHO_TEST = """
import pytest
from sqlalchemy import text

@pytest.mark.asyncio
async def test_fails_showing_its_sql(db_engine, db_connection):
    marker = "-".join(["svc", "echoed"])  # built here: the traceback shows this source, the echo the statement
    await db_connection.execute(text(f"SELECT '{marker}'"))
    assert db_engine.echo
    raise AssertionError("deliberate")
"""


@pytest.mark.parametrize("how", ["flag", "fixture"])
def test_echo_shows_a_failing_tests_sql(sample_project: pytest.Pytester, how: str) -> None:
    # In a subprocess: echo adds a handler to SQLAlchemy's process-wide logger, which must not outlive the run.
    args: tuple[str, ...] = ("--svc-db-echo",)
    if how == "fixture":
        sample_project.makeconftest(OPTIONS_CONFTEST.format(fixture="db_engine_options", value="{'echo': True}"))
        args = ()
    sample_project.makepyfile(ECHO_TEST)
    result = sample_project.runpytest_subprocess(*args, timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Captured*call*", "*SELECT 'svc-echoed'*"])


def test_echo_is_off_without_the_flag_or_the_option(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(ECHO_TEST.replace("assert db_engine.echo", "assert not db_engine.echo"))
    result = sample_project.runpytest_subprocess(timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*SELECT 'svc-echoed'*")
