"""make_test_model: rows of any mapped model, every required column filled, and the column it cannot fill named."""

from __future__ import annotations

import inspect

import pytest

from pytest_svc.data import model_rows


def test_make_test_model_fills_required_columns_by_type(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import uuid
        from datetime import date, datetime
        from decimal import Decimal
        import pytest
        from sqlalchemy import select
        from pytest_svc import MakeTestModel
        from sampleapp import Author, Book, Color, Gadget

        pytestmark = pytest.mark.asyncio

        async def test_every_type(make_test_model: MakeTestModel, db_session):
            first = await make_test_model(Gadget)
            second = await make_test_model(Gadget, quantity=7, note="given")
            assert isinstance(first.id, uuid.UUID) and first in db_session
            assert len(first.code) <= 8 and first.code != second.code  # unique, cut to String(8)
            assert first.contact_email.endswith("@example.com")
            assert isinstance(first.description, str) and isinstance(first.quantity, int)
            assert (second.quantity, second.note, first.note) == (7, "given", None)
            assert isinstance(first.price, Decimal) and isinstance(first.weight, float)
            assert first.active is False and isinstance(first.released_on, date)
            assert isinstance(first.checked_at, datetime) and first.local_time.tzinfo is None
            assert first.color is Color.RED and isinstance(first.serial, uuid.UUID)
            assert first.payload == {} and isinstance(first.blob, bytes)
            await db_session.refresh(first)
            assert first.stock == 0  # the server default was left to the database

        async def test_required_foreign_key_gets_a_parent_row(make_test_model, db_session):
            book = await make_test_model(Book, title="Dune")
            assert book.title == "Dune" and book.id is not None
            author = await db_session.get(Author, book.author_id)
            assert author is not None and author.email.endswith("@example.com")

        async def test_rows_are_rolled_back(db_session):
            assert (await db_session.scalars(select(Gadget))).all() == []
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_make_test_model_names_the_column_it_cannot_fill(sample_project: pytest.Pytester) -> None:
    # Models of their own metadata: the errors come before any SQL, so no table is needed.
    sample_project.makepyfile(
        """
        import pytest
        from sqlalchemy import ForeignKey
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
        from sqlalchemy.types import UserDefinedType

        class Vector(UserDefinedType):
            cache_ok = True

            def get_col_spec(self):
                return "VECTOR(3)"

        class Base(DeclarativeBase):
            pass

        class Embedding(Base):
            __tablename__ = "embeddings"
            id: Mapped[int] = mapped_column(primary_key=True)
            vector = mapped_column(Vector, nullable=False)

        class Node(Base):
            __tablename__ = "nodes"
            id: Mapped[int] = mapped_column(primary_key=True)
            parent_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"))

        pytestmark = pytest.mark.asyncio

        async def test_unknown_type(make_test_model):
            await make_test_model(Embedding)

        async def test_foreign_key_loop(make_test_model):
            await make_test_model(Node)
        """
    )
    result = sample_project.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "E *TypeError: pytest-svc: make_test_model cannot invent a value for Embedding.vector (type VECTOR(3)); "
            "pass it: make_test_model(Embedding, vector=...).",
            "E *TypeError: pytest-svc: make_test_model cannot fill Node.parent_id: the required foreign keys form a "
            "loop back to Node; pass parent_id=... (an existing row's key).",
        ],
        consecutive=False,
    )


def test_fixtures_lists_them_with_their_summary(sample_project: pytest.Pytester) -> None:
    result = sample_project.runpytest("--fixtures")
    for name in ("make_test_model",):
        summary = inspect.getdoc(getattr(model_rows, name))
        assert summary
        result.stdout.fnmatch_lines([f"{name} -- *pytest_svc/data/model_rows.py:*", f"    {summary.splitlines()[0]}"])
