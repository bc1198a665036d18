"""BaseRepository's statements for many rows: bulk create, update and delete, and the one-statement upsert."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from pytest_svc import MakeUser, PrimaryKeyStrategy, QueryCounter, SvcUser
from reference_app.db import acting_as
from reference_app.documents.models import Document, Tag
from reference_app.errors import NotFoundError
from reference_app.users.models import User
from tests.reference_app.repository.cases import ModelCase, documents, make_documents, stored, tags, users

pytestmark = pytest.mark.asyncio


# -- bulk operations -------------------------------------------------------------------------------------------


async def test_bulk_create_returns_every_row_with_its_key(
    db_session: AsyncSession, case: ModelCase, primary_key_strategy: PrimaryKeyStrategy, query_counter: QueryCounter
) -> None:
    with query_counter.capture() as statements:
        created = await case.repository.bulk_create(db_session, [case.make(n) for n in range(30)])

    assert len({obj.id for obj in created}) == 30
    assert [getattr(obj, case.text_field) for obj in created] == [
        getattr(case.make(n), case.text_field) for n in range(30)
    ]
    db_session.expunge_all()
    assert await case.repository.count(db_session) == 30
    inserts = [sql for sql in statements if sql.lstrip().upper().startswith("INSERT")]
    dialect = db_session.get_bind().dialect.name
    if dialect == "sqlite" and primary_key_strategy.kind == "int":
        # SQLite does not promise RETURNING order, so database-assigned keys are fetched one row at a time.
        assert len(inserts) == 30
    else:
        assert len(inserts) == 1


async def test_bulk_update_batches_rows_and_stamps_the_editor(
    db_session: AsyncSession, current_user: SvcUser, query_counter: QueryCounter
) -> None:
    first, second, third = await make_documents(db_session, "one", "two", "three")

    with acting_as(current_user.email), query_counter.capture() as statements:
        updated = await documents.bulk_update(
            db_session,
            [{"id": third.id, "title": "3"}, {"id": first.id, "title": "1"}, {"id": second.id, "body": "2"}],
        )

    assert updated == [third, first, second]
    rows = {row["id"]: row for row in await stored(db_session, Document)}
    assert [(rows[d.id]["title"], rows[d.id]["body"]) for d in (first, second, third)] == [
        ("1", ""),
        ("two", "2"),
        ("3", ""),
    ]
    assert {row["updated_by"] for row in rows.values()} == {current_user.email}
    # One SELECT, then one UPDATE per distinct set of changed columns (title; body).
    assert len(statements) == 3, statements
    assert (third.title, first.title, second.body) == ("3", "1", "2")
    assert first.updated_by == current_user.email


async def test_bulk_update_of_a_missing_row_writes_nothing(db_session: AsyncSession) -> None:
    [document] = await make_documents(db_session, "one")

    with pytest.raises(NotFoundError) as excinfo:
        await documents.bulk_update(db_session, [{"id": document.id, "title": "x"}, {"id": 999_999, "title": "y"}])

    assert excinfo.value.extensions == {"ids": [999_999]}
    [row] = await stored(db_session, Document, id=document.id)
    assert row["title"] == "one"
    with pytest.raises(ValueError, match="primary key"):
        await documents.bulk_update(db_session, [{"title": "no id"}])


async def test_delete_many_in_one_statement(
    db_session: AsyncSession, with_soft_delete: bool, current_user: SvcUser, query_counter: QueryCounter
) -> None:
    created = await make_documents(db_session, *(f"doc {n}" for n in range(5)))
    doomed = [created[0].id, created[2].id, created[4].id]

    with acting_as(current_user.email), query_counter.capture() as statements:
        deleted = await documents.delete_many(db_session, [*doomed, 999_999], hard=not with_soft_delete)

    assert deleted == 3
    assert len(statements) == 1
    assert [d.id for d in await documents.list(db_session)] == [created[1].id, created[3].id]
    rows = await stored(db_session, Document)
    if with_soft_delete:
        assert {row["id"] for row in rows if row["deleted_at"] is not None} == set(doomed)
        assert {row["deleted_by"] for row in rows if row["id"] in doomed} == {current_user.email}
        # Loaded objects show what was written, without a refresh.
        assert all(created[i].is_deleted and created[i].deleted_by == current_user.email for i in (0, 2, 4))
        assert await documents.delete_many(db_session, doomed) == 0  # already deleted
    else:
        assert {row["id"] for row in rows} == {created[1].id, created[3].id}
        assert created[0] not in db_session
    assert await documents.delete_many(db_session, []) == 0


# -- upsert ----------------------------------------------------------------------------------------------------------


async def test_upsert_inserts_then_updates_in_one_statement_each(
    db_session: AsyncSession, query_counter: QueryCounter
) -> None:
    with query_counter.capture() as inserted_sql:
        inserted = await tags.upsert(
            db_session, {"tenant_id": "t1", "name": "urgent"}, index_elements=["tenant_id", "name"]
        )
    first_updated_at = inserted.updated_at
    with query_counter.capture() as updated_sql:
        updated = await tags.upsert(
            db_session, {"tenant_id": "t1", "name": "urgent"}, index_elements=["tenant_id", "name"]
        )

    for statements in (inserted_sql, updated_sql):
        [sql] = statements  # atomic: no SELECT before the write
        assert sql.lstrip().upper().startswith("INSERT")
        assert "ON CONFLICT" in sql.upper()
    assert updated is inserted
    assert updated.updated_at > first_updated_at
    [row] = await stored(db_session, Tag, tenant_id="t1")
    assert (row["id"], row["created_at"], row["updated_at"]) == (inserted.id, inserted.created_at, updated.updated_at)


async def test_upsert_updates_only_the_chosen_fields_and_keeps_creation_audit(
    db_session: AsyncSession, current_user: SvcUser, make_user: MakeUser
) -> None:
    editor = make_user(email="editor@example.com")
    with acting_as(current_user.email):
        user = await users.upsert(
            db_session,
            {"email": "ada@example.com", "name": "Ada", "bio": "first", "preferences": {"theme": "dark"}},
            index_elements=["email"],
        )
    with acting_as(editor.email):
        again = await users.upsert(
            db_session,
            {"email": "ada@example.com", "name": "Ada Lovelace", "bio": "ignored"},
            index_elements=["email"],
            update_fields=["name"],
        )

    assert again.id == user.id
    assert again.id.version == 7
    [row] = await stored(db_session, User, email="ada@example.com")
    assert (row["name"], row["bio"], row["preferences"]) == ("Ada Lovelace", "first", {"theme": "dark"})
    assert (row["created_by"], row["updated_by"]) == (current_user.email, editor.email)


async def test_upsert_restores_a_soft_deleted_row(db_session: AsyncSession) -> None:
    user = await users.create(db_session, User(email="back@example.com", name="Back"))
    await users.delete(db_session, user)

    again = await users.upsert(
        db_session, {"email": "back@example.com", "name": "Back again"}, index_elements=["email"]
    )

    assert again is user
    assert not again.is_deleted
    assert await users.get(db_session, user.id) is user
