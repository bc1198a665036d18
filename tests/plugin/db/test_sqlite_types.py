"""The embedded default serves real models: common column types round-trip on SQLite; the rest are refused clearly."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateTable

from pytest_svc.db.sqlite_types import render_for_sqlite
from tests.plugin.inner_runs import inner_ini, models_module, run_setup_error

TYPES_APP = """
import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Enum, Float, ForeignKey, Integer, LargeBinary, Numeric, SmallInteger,
    String, Text, Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Mood(enum.Enum):
    HAPPY = "happy"
    GRUMPY = "grumpy"


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    big: Mapped[int] = mapped_column(BigInteger)
    small: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    bio: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    born: Mapped[date] = mapped_column(Date)
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    ratio: Mapped[float] = mapped_column(Float)
    settings: Mapped[dict] = mapped_column(JSON)
    avatar: Mapped[bytes] = mapped_column(LargeBinary)
    key: Mapped[uuid.UUID] = mapped_column(Uuid)
    mood: Mapped[Mood] = mapped_column(Enum(Mood))


class Login(Base):
    __tablename__ = "logins"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accounts.id"))


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    label: Mapped[str] = mapped_column(String(20))
"""

TYPES_TESTS = """
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from typesapp import Account, Login, Mood, Tag

pytestmark = pytest.mark.asyncio


async def test_every_type_round_trips(db_session):
    seen_at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    values = dict(
        big=2**62, small=-7, count=42, name="Ada", bio="x" * 5000, active=True, seen_at=seen_at,
        born=date(1815, 12, 10), balance=Decimal("12345.67"), ratio=0.25, settings={"theme": ["dark", 1]},
        avatar=b"\\x00\\xffpng", key=uuid.uuid4(), mood=Mood.GRUMPY,
    )
    accounts = [Account(**values), Account(**values)]
    db_session.add_all(accounts)
    await db_session.flush()
    ids = [account.id for account in accounts]
    assert ids[0] >= 1 and ids[1] == ids[0] + 1  # numbered by the database
    db_session.add_all([Login(account_id=ids[0]), Login(account_id=ids[1]), Tag(label="a"), Tag(label="b")])
    await db_session.flush()
    db_session.expunge_all()

    read = await db_session.get(Account, ids[1])
    for name, value in values.items():
        got = getattr(read, name)
        if name == "seen_at" and db_session.bind.dialect.name == "sqlite":
            # SQLite keeps no offset: the UTC value comes back naive (SQLAlchemy's SQLite DateTime).
            assert got == value.replace(tzinfo=None), name
        else:
            assert got == value, name
    assert (await db_session.scalars(select(Login.account_id).order_by(Login.id))).all() == ids
    assert (await db_session.scalars(select(Tag.id).order_by(Tag.id))).all() == [1, 2]
"""

TYPES_INI = inner_ini("svc_metadata = typesapp:Base")


@pytest.mark.parametrize("db_url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///data/app.db", None])
def test_common_column_types_insert_and_read_back(pytester: pytest.Pytester, db_url: str | None) -> None:
    # None: the outer run's database (PostgreSQL when SVC_DB_URL is set).
    pytester.makepyfile(typesapp=TYPES_APP, test_types=TYPES_TESTS)
    pytester.makefile(".ini", pytest=TYPES_INI)
    args = [f"--svc-db-url={db_url}"] if db_url else []
    pytester.runpytest(*args).assert_outcomes(passed=1)


REFUSED_APP = models_module(
    "from sqlalchemy import BigInteger, Integer\n"
    "from sqlalchemy.dialects.postgresql import ARRAY, CITEXT, HSTORE, INET, TSVECTOR",
    """

class Host(Base):
    __tablename__ = "hosts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    column: Mapped[object] = mapped_column({type})
""",
)


@pytest.mark.parametrize(
    ("type_", "name"),
    [
        ("ARRAY(Integer)", "ARRAY"),
        ("INET", "INET"),
        ("TSVECTOR", "TSVECTOR"),
        ("HSTORE", "HSTORE"),
        ("CITEXT", "CITEXT"),
    ],
)
def test_a_type_sqlite_cannot_hold_names_the_column_and_the_fix(
    pytester: pytest.Pytester, type_: str, name: str
) -> None:
    pytester.makepyfile(refusedapp=REFUSED_APP.format(type=type_))
    pytester.makefile(".ini", pytest=TYPES_INI.replace("typesapp", "refusedapp"))
    run_setup_error(
        pytester,
        "db_session",
        f"*column hosts.column has type {name}, which SQLite (the embedded default database) cannot hold.",
        "*Test on PostgreSQL: --svc-db-url postgresql+asyncpg://*",
        args=("--svc-db-url=sqlite+aiosqlite://",),
    )


def test_only_the_plugins_engines_render_the_rowid_key() -> None:
    metadata = MetaData()
    table = Table("t", metadata, Column("id", BigInteger, primary_key=True), Column("n", BigInteger))
    plugin_engine = create_async_engine("sqlite+aiosqlite://")
    render_for_sqlite(plugin_engine)
    assert "id INTEGER NOT NULL" in str(CreateTable(table).compile(dialect=plugin_engine.dialect))
    assert "n BIGINT" in str(CreateTable(table).compile(dialect=plugin_engine.dialect))
    # The user's own engines, and every PostgreSQL engine, render the metadata as before; it is left unchanged.
    assert "id BIGINT NOT NULL" in str(CreateTable(table).compile(dialect=sqlite.dialect()))
    assert "id BIGSERIAL NOT NULL" in str(CreateTable(table).compile(dialect=postgresql.dialect()))
    assert type(table.c.id.type) is BigInteger
