"""make_test_model and make_test_users, and the key and delete strategies against template-style models."""

from __future__ import annotations

import inspect

import pytest

from pytest_svc import model_fixtures


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


def test_make_test_users_makes_distinct_principals_sharing_roles_and_tenant(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import pytest
        from pytest_svc import MakeTestUsers, SvcUser

        def test_three_editors(make_test_users: MakeTestUsers, mock_auth_token):
            users = make_test_users(3, roles=("editor",), permissions=("documents:*",), tenant_id="t2")
            assert all(isinstance(user, SvcUser) for user in users)
            assert len({user.id for user in users}) == len({user.email for user in users}) == 3
            assert {(user.roles, user.tenant_id) for user in users} == {(("editor",), "t2")}
            assert all(user.has_permission("documents:read") for user in users)
            assert len({mock_auth_token(user) for user in users}) == 3

        def test_defaults(make_test_users):
            assert make_test_users(0) == []
            (user,) = make_test_users(1)
            assert (user.roles, user.tenant_id) == (("user",), "test-tenant")

        @pytest.mark.asyncio
        async def test_the_app_knows_them(make_test_users, make_client):
            for user in make_test_users(2, tenant_id="t3"):
                me = (await make_client(user).get("/me")).json()
                assert (me["id"], me["tenant_id"]) == (user.id, "t3")
        """
    )
    sample_project.runpytest().assert_outcomes(passed=3)


def test_key_and_delete_strategies_against_template_models(sample_project: pytest.Pytester) -> None:
    sample_project.makepyfile(
        """
        import uuid
        import pytest
        from sqlalchemy import func, select
        from pytest_svc import assert_not_deleted, assert_primary_key_set, assert_soft_deleted
        from sampleapp import Book, IntNote, UUID7Note, UUIDNote

        pytestmark = pytest.mark.asyncio
        NOTES = {"int": IntNote, "uuid4": UUIDNote, "uuid7": UUID7Note}

        async def test_keys(primary_key_strategy, make_test_model, db_session):
            model = NOTES[primary_key_strategy.kind]
            generated = await make_test_model(model)
            given = await make_test_model(model, id=primary_key_strategy.new_id())
            assert_primary_key_set(generated)
            assert type(generated.id) is type(given.id) is type(primary_key_strategy.new_id())
            if primary_key_strategy.kind != "int":
                assert generated.id.version == given.id.version == int(primary_key_strategy.kind[-1])
            db_session.expunge_all()
            assert (await db_session.get(model, given.id)).id == given.id

        async def test_delete(with_soft_delete, make_test_model, db_session):
            book = await make_test_model(Book)
            assert_not_deleted(book)
            if with_soft_delete:
                book.soft_delete(by="admin@example.com")
            else:
                await db_session.delete(book)
            await db_session.flush()
            remaining = await db_session.scalar(select(func.count()).select_from(Book))
            if with_soft_delete:
                assert_soft_deleted(book, deleted_by="admin@example.com")
                assert remaining == 1
            else:
                assert remaining == 0
        """
    )
    result = sample_project.runpytest("-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*::test_keys[[]pk-uuid7[]] PASSED*", "*::test_delete[[]hard-delete[]] PASSED*"])


def test_fixtures_lists_them_with_their_summary(sample_project: pytest.Pytester) -> None:
    result = sample_project.runpytest("--fixtures")
    for name in ("make_test_model", "make_test_users"):
        summary = inspect.getdoc(getattr(model_fixtures, name))
        assert summary
        result.stdout.fnmatch_lines([f"{name} -- *pytest_svc/model_fixtures.py:*", f"    {summary.splitlines()[0]}"])
