"""The shapes of inner pytester runs that many plugin tests share: the runners, and "this usage fails so"."""

from __future__ import annotations

import os

import pytest

# How a project runs its async tests: (extra ini lines, the test module's marker line).
RUNNERS = {
    "asyncio-strict": ("", "pytestmark = pytest.mark.asyncio"),
    "asyncio-strict-session-loop": ("asyncio_default_test_loop_scope = session", "pytestmark = pytest.mark.asyncio"),
    "asyncio-strict-module-marker": ("", 'pytestmark = pytest.mark.asyncio(loop_scope="module")'),
    "asyncio-auto": ("asyncio_mode = auto", ""),
    "asyncio-auto-session-loop": ("asyncio_mode = auto\nasyncio_default_test_loop_scope = session", ""),
    "anyio": ("", "pytestmark = pytest.mark.anyio"),
    # pytest-asyncio runs these bodies while anyio's fixture hook wants their fixtures: both claim the test.
    "anyio-under-asyncio-auto": ("asyncio_mode = auto", "pytestmark = pytest.mark.anyio"),
    "anyio-and-asyncio-markers": ("", "pytestmark = [pytest.mark.anyio, pytest.mark.asyncio]"),
}

ONE_ASYNC_TEST = """
import os

import pytest

@pytest.mark.asyncio
async def test_uses_them({fixtures}):
    pass
"""


def use_runner(project: pytest.Pytester, runner: str) -> str:
    """Set ``project``'s pytest.ini up for ``runner`` (a key of :data:`RUNNERS`); return its module marker line."""
    extra_ini, marker = RUNNERS[runner]
    if extra_ini:
        ini = project.path.joinpath("pytest.ini")
        ini.write_text(ini.read_text().replace("asyncio_mode = strict\n", "") + "\n" + extra_ini + "\n")
    return marker


def run_setup_error(
    project: pytest.Pytester, fixtures: str, *lines: str, args: tuple[str, ...] = ()
) -> pytest.RunResult:
    """Run one async test that asks for ``fixtures``: it must error at setup, print ``lines`` and no traceback.

    The shape of a usage error as a user meets it: a short message naming the fixture or setting, in that test.
    """
    project.makepyfile(ONE_ASYNC_TEST.format(fixtures=fixtures))
    result = project.runpytest(*args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(list(lines))
    result.stdout.no_fnmatch_line("*Traceback*")
    return result


def run_helper_checks(
    project: pytest.Pytester, source: str, *args: str, passed: int = 1, failed: int = 1
) -> pytest.RunResult:
    """Run ``source``, test modules calling assertion helpers; the failures must show no helper frames."""
    project.makepyfile(source)
    result = project.runpytest(*args)
    result.assert_outcomes(passed=passed, failed=failed)
    result.stdout.no_fnmatch_line("*pytest_svc/assertions/*")
    result.stdout.no_fnmatch_line("*__tracebackhide__*")
    return result


def inner_ini(*settings: str) -> str:
    """A project's pytest.ini: the project importable, ``settings`` (``svc_*`` lines), strict asyncio, warnings fail."""
    lines = ["[pytest]", "pythonpath = .", *settings]
    lines += ["asyncio_mode = strict", "asyncio_default_fixture_loop_scope = function", "filterwarnings = error"]
    return "\n".join(lines) + "\n"


def models_module(imports: str, models: str) -> str:
    """An inner project's models module: ``imports``, a declarative ``Base``, then ``models`` (classes on Base)."""
    base = "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
    base += "class Base(DeclarativeBase):\n    pass\n"
    return f"{imports.strip()}\n{base}\n{models}"


ON_POSTGRES = bool(os.environ.get("SVC_DB_URL"))

# The command-line arguments that put an inner run on each database backend (PostgreSQL: the outer SVC_DB_URL).
BACKENDS = {
    "sqlite-memory": ("--svc-db-url=sqlite+aiosqlite://",),
    "sqlite-file": ("--svc-db-url=sqlite+aiosqlite:///data/app.db",),
    "postgresql": (),
}


def backend_args(backend: str, backends: dict[str, tuple[str, ...]] = BACKENDS) -> tuple[str, ...]:
    """The arguments for ``backend`` (a key of ``backends``); skips PostgreSQL when no server is configured."""
    if backend == "postgresql" and not ON_POSTGRES:
        pytest.skip("needs SVC_DB_URL pointing at PostgreSQL (CI's second pass sets it)")
    return backends[backend]
