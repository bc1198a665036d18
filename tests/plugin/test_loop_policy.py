"""The loop policy: pytest-svc's async fixtures run on the test's own loop, under every runner and loop scope."""

from __future__ import annotations

import re
import textwrap

import pytest

from tests.plugin.inner_runs import RUNNERS, use_runner

# Each inner module: the app's lifespan, the DB session and the Redis client must all live on the test's loop
# (asyncpg and redis.asyncio fail loudly otherwise), and the second test must not see the first one's data.
LOOP_CHECKS = """
import asyncio
import pytest
from sqlalchemy import func, select
from sampleapp import Item

{marker}

async def test_first({backend_arg}app, client, db_session, mock_redis):
    assert app.state.startup_loop is asyncio.get_running_loop()
    assert (await client.post("/items/first")).status_code == 201
    assert (await client.post("/hits")).json() == {{"hits": 1}}
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 1

async def test_second({backend_arg}app, client, db_session, mock_redis):
    assert app.state.startup_loop is asyncio.get_running_loop()
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
    assert (await client.post("/hits")).json() == {{"hits": 1}}
    assert (await client.post("/items/second")).status_code == 201
"""


# Short test names: an inner run's PostgreSQL database is named after the test, cut to 44 characters.
@pytest.mark.parametrize("runner", RUNNERS)
def test_one_loop(sample_project: pytest.Pytester, runner: str) -> None:
    marker = use_runner(sample_project, runner)
    if "anyio" in marker:
        sample_project.makeconftest(
            """
            import pytest

            @pytest.fixture
            def anyio_backend():
                return "asyncio"
            """
        )
    backend_arg = "anyio_backend, " if "anyio" in marker else ""
    sample_project.makepyfile(test_loops=LOOP_CHECKS.format(marker=marker, backend_arg=backend_arg))
    result = sample_project.runpytest("-v")
    result.assert_outcomes(passed=2)


def test_loop_scope_mismatch_in_user_config_does_not_matter(sample_project: pytest.Pytester) -> None:
    # Tests on the session loop while async fixtures default to function loops: the classic
    # "attached to a different loop" setup. The plugin's fixtures follow the test, not the fixture default.
    ini = sample_project.path.joinpath("pytest.ini")
    ini.write_text(ini.read_text() + "\nasyncio_default_test_loop_scope = session\n")
    sample_project.makepyfile(
        test_loops=LOOP_CHECKS.format(marker="pytestmark = pytest.mark.asyncio", backend_arg="")
        + textwrap.dedent(
            """
            async def test_third(db_session, db_sessionmaker):
                async with db_sessionmaker.begin() as other:
                    other.add(Item(name="third"))
                assert await db_session.scalar(select(func.count()).select_from(Item)) == 1
            """
        )
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_anyio_on_trio_gets_a_clear_error(sample_project: pytest.Pytester) -> None:
    pytest.importorskip("trio")
    sample_project.makepyfile(
        """
        import pytest

        @pytest.fixture(params=["trio"])
        def anyio_backend(request):
            return request.param

        @pytest.mark.anyio
        async def test_on_trio(db_session):
            pass
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*runs on anyio's 'trio' backend, but pytest-svc's fixtures need asyncio*"])
    result.stdout.fnmatch_lines(['*return "asyncio"*'])


# A sync test using an async fixture gets a clear error, in either mode.
@pytest.mark.parametrize("runner", ["asyncio-strict", "asyncio-auto"])
def test_a_sync_test(sample_project: pytest.Pytester, runner: str) -> None:
    use_runner(sample_project, runner)
    sample_project.makepyfile(
        """
        def test_not_async(db_session):
            pass

        def test_still_fine_afterwards(utc_now):
            assert utc_now.tzinfo is not None
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(errors=1, passed=1)
    result.stdout.fnmatch_lines(
        ["*test_not_async is not an async test, but the fixtures it uses need the event loop (db_session)*"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


# The project's own async fixtures in a test both plugins claim: anyio's fixture hook would take them to anyio's
# loop while pytest-asyncio runs the body; they run where pytest-asyncio would have run them, on the body's loop.
OWN_FIXTURES = """
import asyncio
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sampleapp import Item

{marker}

@pytest.fixture
def anyio_backend():
    return "asyncio"

@{decorator}
async def made_item(db_session):
    db_session.add(Item(name="made"))
    await db_session.flush()
    loop = asyncio.get_running_loop()
    yield loop
    assert asyncio.get_running_loop() is loop
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 1

async def test_made(made_item, client):
    assert made_item is asyncio.get_running_loop()
    assert (await client.get("/items/count")).json() == 1

async def test_none_left(db_session):
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
"""


@pytest.mark.parametrize(
    ("runner", "decorator"),
    [
        ("anyio-under-asyncio-auto", "pytest.fixture"),
        ("anyio-under-asyncio-auto", "pytest_asyncio.fixture"),
        ("anyio-and-asyncio-markers", "pytest_asyncio.fixture"),
    ],
    ids=["auto-plain-fixture", "auto-asyncio-fixture", "both-markers"],
)
def test_own_fixtures(sample_project: pytest.Pytester, runner: str, decorator: str) -> None:
    marker = use_runner(sample_project, runner)
    sample_project.makepyfile(test_own=OWN_FIXTURES.format(marker=marker, decorator=decorator))
    sample_project.runpytest().assert_outcomes(passed=2)


# The runner matrix: one inner run per (settings, default test loop scope), holding a module per way of marking
# a test. Each module's first test writes a row through db_session and counts it through the app; the second
# finds none. The app's lifespan, the session and the Redis client must share the body's loop (on PostgreSQL
# asyncpg refuses a connection from another loop; on SQLite the lifespan check sees it).
MARKED_MODULE = """
import asyncio
import pytest
from sqlalchemy import func, select
from sampleapp import Item

{marker}

async def test_first(app, client, db_session, mock_redis):
    assert app.state.startup_loop is asyncio.get_running_loop()
    db_session.add(Item(name="first"))
    await db_session.flush()
    assert (await client.get("/items/count")).json() == 1
    assert await mock_redis.incr("hits") == 1
    assert (await client.post("/hits")).json() == {{"hits": 2}}

async def test_second(app, client, db_session, mock_redis):
    assert app.state.startup_loop is asyncio.get_running_loop()
    assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
    assert (await client.get("/items/count")).json() == 0
    assert (await client.post("/hits")).json() == {{"hits": 1}}
"""
# A marker's own loop_scope covers the other loop scopes in the same run; the default scope covers the rest.
MARKERS = {
    "asyncio_marker": "pytestmark = pytest.mark.asyncio",
    "asyncio_marker_on_module_loop": 'pytestmark = pytest.mark.asyncio(loop_scope="module")',
    "asyncio_marker_on_session_loop": 'pytestmark = pytest.mark.asyncio(loop_scope="session")',
    "anyio_marker": "pytestmark = pytest.mark.anyio",
    "both_markers": "pytestmark = [pytest.mark.anyio, pytest.mark.asyncio]",
    "both_markers_on_module_loop": 'pytestmark = [pytest.mark.anyio, pytest.mark.asyncio(loop_scope="module")]',
    "both_markers_on_session_loop": 'pytestmark = [pytest.mark.anyio, pytest.mark.asyncio(loop_scope="session")]',
    "unmarked": "",
}
# Settings as a project writes them: their pytest.ini lines, and whether a bare `async def` test runs at all.
MODES = {
    "asyncio-strict": ("asyncio_mode = strict", False),
    "asyncio-auto": ("asyncio_mode = auto", True),
    "anyio-auto": ("asyncio_mode = strict\nanyio_mode = auto", True),
}
# The default loop scope only decides where bare and anyio-only tests run under asyncio_mode = auto.
MATRIX = [
    ("asyncio-strict", "function"),
    ("asyncio-auto", "function"),
    ("asyncio-auto", "module"),
    ("asyncio-auto", "session"),
    ("anyio-auto", "function"),
]


def _node(node: str) -> str:
    """``node`` as an fnmatch pattern: its ``[param]`` literal."""
    return re.sub(r"([\[\]])", r"[\1]", node)


@pytest.mark.parametrize(("mode", "loop_scope"), MATRIX)
def test_runner_matrix(sample_project: pytest.Pytester, mode: str, loop_scope: str) -> None:
    anyio = pytest.importorskip("anyio")
    ini_lines, bare_tests_run = MODES[mode]
    ini = sample_project.path.joinpath("pytest.ini")
    settings = f"\n{ini_lines}\nasyncio_default_test_loop_scope = {loop_scope}\n"
    ini.write_text(ini.read_text().replace("asyncio_mode = strict\n", "") + settings)
    # Under pinned/ anyio runs on asyncio; the top module keeps anyio's own backend parameter.
    pinned = sample_project.mkdir("pinned")
    pinned.joinpath("conftest.py").write_text(
        'import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n'
    )
    for name, marker in MARKERS.items():
        pinned.joinpath(f"test_{name}.py").write_text(MARKED_MODULE.format(marker=marker))
    sample_project.makepyfile(test_anyio_backends=MARKED_MODULE.format(marker=MARKERS["anyio_marker"]))

    result = sample_project.runpytest_subprocess("-rA", "-p", "no:cacheprovider", timeout=120)

    passes, errors = [], {}
    for test in ("test_first", "test_second"):
        for name in MARKERS:
            if name == "unmarked" and not bare_tests_run:
                errors[f"pinned/test_{name}.py::{test}"] = "is an async test that no plugin runs"
            else:
                passes.append(f"pinned/test_{name}.py::{test}")
        for backend in anyio.get_available_backends():
            node = f"test_anyio_backends.py::{test}[{backend}]"
            if backend == "asyncio":
                passes.append(node)
            else:
                errors[node] = f"runs on anyio's '{backend}' backend, but pytest-svc's fixtures need asyncio"
    result.assert_outcomes(passed=len(passes), errors=len(errors))
    for node in passes:
        result.stdout.fnmatch_lines([f"PASSED {_node(node)}"])
    for node, message in errors.items():
        result.stdout.fnmatch_lines([f"ERROR {_node(node)} - *"])
        result.stdout.fnmatch_lines([f"pytest-svc: {_node(node)} {message}*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*different loop*")


def test_an_unmarked_async_test_in_strict_mode_gets_a_clear_error(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        async def test_not_run(db_session):
            pass
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_not_run is an async test that no plugin runs (asyncio_mode = strict and no marker), so the "
            "fixtures it uses have no event loop (db_session). Mark it @pytest.mark.asyncio or @pytest.mark.anyio, "
            "or set asyncio_mode = auto."
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
