"""svc_alembic_ini: the test database is built by `alembic upgrade head`; --svc-reuse-db follows the head revision."""

from __future__ import annotations

import gc
import os
import textwrap
import warnings
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.plugin.db.test_fixtures import pg_admin
from tests.plugin.inner_runs import BACKENDS, backend_args, inner_ini, models_module, run_setup_error

ON_POSTGRES = bool(os.environ.get("SVC_DB_URL"))
REPOSITORY = Path(__file__).resolve().parents[3]

MIGRATED_APP = models_module(
    "from sqlalchemy import BigInteger, ForeignKey, String",
    """

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
""",
)

# The production URL: the plugin must never migrate it.
ALEMBIC_INI = """
[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = sqlite+aiosqlite:///production.db
"""

# Alembic's async template, with the connection-sharing recipe the plugin's docs ask for.
ENV_PY = """
import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from migratedapp import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection", None)
    if connectable is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connectable)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"""

REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
"""

USERS = """\
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
    )"""
POSTS = """\
    op.create_table(
        "posts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
    )"""
NICKNAME = """\
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("nickname", sa.String(50)))"""

INI = inner_ini("svc_alembic_ini = alembic.ini")

SEED_CONFTEST = """
from pathlib import Path


def pytest_svc_seed_db(config, connection):
    # Counts the builds: seeding runs once per new database, never on a reused one.
    builds = Path("builds")
    builds.write_text(str(int(builds.read_text()) + 1 if builds.exists() else 1))
"""

SEES_TABLES = """
import pytest
from sqlalchemy import select, text

from migratedapp import Post, User

pytestmark = pytest.mark.asyncio


async def test_writes_to_the_migrated_tables(db_session):
    user = User(email="ada@example.com")
    db_session.add(user)
    await db_session.flush()
    db_session.add(Post(user_id=user.id, title="hello"))
    await db_session.flush()
    assert (await db_session.scalars(select(Post.title))).all() == ["hello"]
    assert await db_session.scalar(text("SELECT version_num FROM alembic_version")) == "{head}"


async def test_rolled_back(db_session):
    assert (await db_session.scalars(select(User))).all() == []
"""


def write_revision(project: pytest.Pytester, number: int, body: str) -> None:
    """Add revision ``000<number>`` after the one before it to the project's migrations."""
    down = f"000{number - 1}" if number > 1 else None
    versions = project.path / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    source = REVISION.format(revision=f"000{number}", down=down, body=body)
    (versions / f"000{number}_step.py").write_text(textwrap.dedent(source))


def migrated_project(project: pytest.Pytester) -> pytest.Pytester:
    """A service whose schema comes from its Alembic migrations (two revisions), with no svc_metadata."""
    project.makepyfile(migratedapp=MIGRATED_APP)
    project.makefile(".ini", pytest=INI)
    (project.path / "alembic.ini").write_text(ALEMBIC_INI)
    (project.path / "migrations").mkdir()
    (project.path / "migrations" / "env.py").write_text(ENV_PY)
    write_revision(project, 1, USERS)
    write_revision(project, 2, POSTS)
    return project


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_tests_see_the_migrated_tables(pytester: pytest.Pytester, backend: str) -> None:
    args = backend_args(backend)
    project = migrated_project(pytester)
    project.makepyfile(test_migrated=SEES_TABLES.replace("{head}", "0002"))
    project.runpytest(*args).assert_outcomes(passed=2)
    assert not (project.path / "production.db").exists()
    assert not (project.path / "data" / "test_app.db").exists()


REUSED = """
import pytest
from pathlib import Path
from sqlalchemy import inspect, text


@pytest.mark.asyncio
async def test_build(db_session, db_engine):
    head = await db_session.scalar(text("SELECT version_num FROM alembic_version"))
    async with db_engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: [c["name"] for c in inspect(sync).get_columns("users")])
    Path("seen").write_text(f"{head} {Path('builds').read_text()} {','.join(columns)}")
"""


@pytest.mark.parametrize("backend", ["sqlite-file", "postgresql"])
def test_reuse_db_keeps_the_database_until_the_head_revision_changes(pytester: pytest.Pytester, backend: str) -> None:
    args = (*backend_args(backend), "--svc-reuse-db")
    project = migrated_project(pytester)
    project.makeconftest(SEED_CONFTEST)
    project.makepyfile(test_reused=REUSED)
    seen = project.path / "seen"
    try:
        project.runpytest(*args).assert_outcomes(passed=1)
        assert seen.read_text() == "0002 1 id,email"
        project.runpytest(*args).assert_outcomes(passed=1)
        assert seen.read_text() == "0002 1 id,email"  # kept: no second build
        write_revision(project, 3, NICKNAME)
        project.runpytest(*args).assert_outcomes(passed=1)
        assert seen.read_text() == "0003 2 id,email,nickname"  # rebuilt at the new head
        project.runpytest(*args).assert_outcomes(passed=1)
        assert seen.read_text() == "0003 2 id,email,nickname"
    finally:
        if backend == "postgresql":
            test_name = f"test_{make_url(os.environ['SVC_DB_URL']).database}"
            pg_admin(f'DROP DATABASE IF EXISTS "{test_name}" WITH (FORCE)')


def test_a_missing_alembic_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    project = migrated_project(pytester)
    project.makefile(".ini", pytest=INI.replace("alembic.ini", "deploy/alembic.ini"))
    project.makepyfile("def test_nothing():\n    pass\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*svc_alembic_ini is '*deploy/alembic.ini', which is not a file*"])


FAILING = """\
    op.execute("INSERT INTO no_such_table VALUES (1)")"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_migration_shows_its_error_and_line(pytester: pytest.Pytester, backend: str) -> None:
    args = backend_args(backend)
    project = migrated_project(pytester)
    write_revision(project, 3, FAILING)
    result = run_setup_error(
        project,
        "db_session",
        "*svc_alembic_ini (*alembic.ini): `alembic upgrade head` failed on the test database *",
        "*no_such_table*",
        "*at *0003_step.py:*: op.execute(*",
        args=args,
    )
    result.stdout.no_fnmatch_line("*During handling*")
    assert not (project.path / "data" / "test_app.db").exists()


def test_an_alembic_ini_without_scripts_names_the_setting(pytester: pytest.Pytester) -> None:
    project = migrated_project(pytester)
    (project.path / "alembic.ini").write_text("[alembic]\n")
    run_setup_error(
        project, "db_session", "*svc_alembic_ini (*alembic.ini): Alembic cannot read its migration scripts*"
    )


def test_an_env_py_that_runs_its_own_loop_is_told_the_recipe(pytester: pytest.Pytester) -> None:
    project = migrated_project(pytester)
    env = project.path / "migrations" / "env.py"
    env.write_text(env.read_text().replace('config.attributes.get("connection", None)', "None"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        run_setup_error(
            project,
            "db_session",
            "*asyncio.run() cannot be called from a running event loop*",
            "*env.py must run the migrations on config.attributes?'connection'? when it is set*",
            args=("--svc-db-url=sqlite+aiosqlite://",),
        )
        gc.collect()
    # The coroutine env.py made for asyncio.run() is closed: no "never awaited" warning in a later test.
    assert [str(w.message) for w in seen if "never awaited" in str(w.message)] == []


REFERENCE_APP_TESTS = """
import pytest
from sqlalchemy import inspect, text

import reference_app.main
from reference_app.db import Base


@pytest.mark.asyncio
async def test_the_reference_apps_migrations_built_the_database(db_session):
    tables = await db_session.run_sync(lambda session: set(inspect(session.connection()).get_table_names()))
    assert tables == {*Base.metadata.tables, "alembic_version"}
    assert await db_session.scalar(text("SELECT count(*) FROM alembic_version")) == 1
"""


@pytest.mark.parametrize("backend", ["sqlite-memory", "postgresql"])
def test_the_reference_apps_migrations_build_its_test_database(pytester: pytest.Pytester, backend: str) -> None:
    args = backend_args(backend)
    ini = f"[pytest]\nsvc_alembic_ini = {REPOSITORY / 'alembic.ini'}\nasyncio_default_fixture_loop_scope = function\n"
    pytester.makefile(".ini", pytest=ini)
    pytester.makepyfile(test_reference=REFERENCE_APP_TESTS)
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_migrations_under_xdist(pytester: pytest.Pytester) -> None:
    # The outer run's database (memory, or PostgreSQL with SVC_DB_URL): each worker migrates its own.
    project = migrated_project(pytester)
    project.makepyfile(test_migrated=SEES_TABLES.replace("{head}", "0002"))
    result = project.runpytest_subprocess("-n", "2", "-p", "xdist", timeout=120)
    result.assert_outcomes(passed=2)
