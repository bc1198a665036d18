"""Named schemas: built in the test database on PostgreSQL, attached databases on SQLite; the before-schema hook."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.plugin.db.test_fixtures import pg_admin
from tests.plugin.inner_runs import BACKENDS, backend_args, inner_ini

ON_POSTGRES = bool(os.environ.get("SVC_DB_URL"))

# A service whose tables live in two named schemas, with a foreign key across them; its BigInteger keys and the
# PostgreSQL enum type made by the hook are what real models have.
SCHEMA_APP = """
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import BigInteger, ForeignKey, String, select
from sqlalchemy.dialects.postgresql import ENUM
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_async_engine("sqlite+aiosqlite:///production.db")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = {"schema": "auth"}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    # The type is the database's (pytest_svc_before_schema makes it on PostgreSQL); a VARCHAR on SQLite.
    mood: Mapped[str] = mapped_column(ENUM("happy", "grumpy", name="mood", create_type=False), default="happy")


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = {"schema": "billing"}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("auth.users.id"))
    cents: Mapped[int]


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise


Session = Annotated[AsyncSession, Depends(get_session)]
app = FastAPI()


@app.post("/users/{email}")
async def add_user(email: str, session: Session) -> dict[str, int]:
    user = User(email=email)
    session.add(user)
    await session.flush()
    session.add(Invoice(user_id=user.id, cents=100))
    await session.commit()
    return {"id": user.id}


@app.get("/invoices")
async def invoices(session: Session) -> list[list[object]]:
    rows = await session.execute(select(User.email, Invoice.cents).join(Invoice, Invoice.user_id == User.id))
    return [[email, cents] for email, cents in rows]
"""

SCHEMA_INI = inner_ini(
    "svc_app = schemaapp:app", "svc_metadata = schemaapp:Base", "svc_db_dependency = schemaapp:get_session"
)

BEFORE_SCHEMA_CONFTEST = """
from sqlalchemy import inspect, text

calls = []


def pytest_svc_before_schema(config, connection):
    # Nothing is built yet: the hook's DDL comes first, in the same transaction.
    calls.append(inspect(connection).get_table_names(schema="auth"))
    if connection.dialect.name == "postgresql":
        connection.execute(text("CREATE TYPE mood AS ENUM ('happy', 'grumpy')"))
    else:
        connection.execute(text("CREATE TABLE auth.hook_marker (note TEXT)"))
"""

SCHEMA_TESTS = """
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

import conftest
from schemaapp import Invoice, User

pytestmark = pytest.mark.asyncio


async def test_writes_through_the_session_and_the_app(client, db_session):
    db_session.add(User(email="from-test@example.com"))
    await db_session.flush()
    response = await client.post("/users/from-app@example.com")
    assert response.status_code == 200, response.text
    assert (await client.get("/invoices")).json() == [["from-app@example.com", 100]]
    emails = (await db_session.scalars(select(User.email).order_by(User.id))).all()
    assert emails == ["from-test@example.com", "from-app@example.com"]
    assert conftest.calls == [[]]


async def test_both_are_rolled_back(client, db_session):
    assert await db_session.scalar(select(func.count()).select_from(User)) == 0
    assert await db_session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert (await client.get("/invoices")).json() == []


async def test_the_hooks_ddl_is_there(db_session):
    if db_session.bind.dialect.name == "postgresql":
        mood = "SELECT udt_name FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'mood'"
        assert await db_session.scalar(text(mood)) == "mood"
        db_session.add(Invoice(user_id=12345, cents=1))
        with pytest.raises(IntegrityError, match="invoices_user_id_fkey"):
            await db_session.flush()
    else:
        assert await db_session.scalar(text("SELECT count(*) FROM auth.hook_marker")) == 0
"""

LIVE_SERVER_TEST = """
import httpx


def test_the_live_server_sees_the_schemas(live_server):
    assert httpx.post(live_server.url + "/users/live@example.com").status_code == 200
    assert httpx.get(live_server.url + "/invoices").json() == [["live@example.com", 100]]
"""


def schema_project(pytester: pytest.Pytester, backend: str) -> tuple[str, ...]:
    """The two-schema project with the hook's conftest; the arguments that select ``backend``."""
    args = backend_args(backend)
    pytester.makepyfile(schemaapp=SCHEMA_APP)
    pytester.makefile(".ini", pytest=SCHEMA_INI)
    pytester.makeconftest(BEFORE_SCHEMA_CONFTEST)
    return args


@pytest.mark.parametrize("backend", BACKENDS)
def test_tables_in_two_named_schemas_are_built_written_and_rolled_back(pytester: pytest.Pytester, backend: str) -> None:
    args = schema_project(pytester, backend)
    pytester.makepyfile(test_schemas=SCHEMA_TESTS)
    pytester.runpytest(*args).assert_outcomes(passed=3)
    # Gone with the test database: the attached files on SQLite, the database (and its schemas) on PostgreSQL.
    assert not (pytester.path / "data" / "test_app.db").exists()
    assert not (pytester.path / "data" / "test_app.db-schemas").exists()
    assert not (pytester.path / "production.db").exists()
    if backend == "postgresql":
        name = make_url(os.environ["SVC_DB_URL"]).database
        assert pg_admin(f"SELECT datname FROM pg_database WHERE datname LIKE 'test_{name}%'") == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_live_servers_engine_sees_the_same_schemas(pytester: pytest.Pytester, backend: str) -> None:
    args = schema_project(pytester, backend)
    pytester.makepyfile(test_live=LIVE_SERVER_TEST)
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_reuse_db_skips_the_hook_and_keeps_the_schema_files(pytester: pytest.Pytester) -> None:
    args = (*schema_project(pytester, "sqlite-file"), "--svc-reuse-db")
    pytester.makepyfile(
        test_reused="""
        from pathlib import Path

        import pytest
        from sqlalchemy import select
        import conftest
        from schemaapp import User

        @pytest.mark.asyncio
        async def test_hook_calls(db_session):
            assert (await db_session.scalars(select(User))).all() == []
            assert len(conftest.calls) == int(Path("expected_calls").read_text())
        """
    )
    Path(pytester.path / "expected_calls").write_text("1")
    pytester.runpytest(*args).assert_outcomes(passed=1)
    assert (pytester.path / "data" / "test_app.db-schemas" / "auth.db").is_file()
    assert (pytester.path / "data" / "test_app.db-schemas" / "billing.db").is_file()
    Path(pytester.path / "expected_calls").write_text("0")
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_named_schemas_under_xdist(pytester: pytest.Pytester) -> None:
    # The outer run's database (memory, or PostgreSQL with SVC_DB_URL): each worker builds its own.
    schema_project(pytester, "postgresql" if ON_POSTGRES else "sqlite-memory")
    pytester.makepyfile(test_schemas=SCHEMA_TESTS.replace("assert conftest.calls == [[]]", ""))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist", timeout=120)
    result.assert_outcomes(passed=3)
