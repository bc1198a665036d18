"""What the repository tests share: a repository per model, the model of each primary key strategy, and ways to
read rows back past the repository."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reference_app.db import Base
from reference_app.documents.models import Document, Tag
from reference_app.repository import BaseRepository
from reference_app.users.models import User

documents = BaseRepository(Document)
tags = BaseRepository(Tag)
users = BaseRepository(User)


@dataclasses.dataclass(frozen=True)
class ModelCase:
    """The model that uses a primary key strategy, and how to make a row of it."""

    repository: BaseRepository[Any]
    make: Callable[[int], Base]
    text_field: str


CASES = {
    "int": ModelCase(documents, lambda n: Document(title=f"doc {n}"), "title"),
    "uuid4": ModelCase(tags, lambda n: Tag(name=f"tag {n}", tenant_id="t1"), "name"),
    "uuid7": ModelCase(users, lambda n: User(email=f"user{n}@example.com", name=f"User {n}"), "name"),
}


async def stored(session: AsyncSession, model: type[Base], **where: Any) -> list[Any]:
    """Rows as the database holds them, bypassing the session's identity map and the repository."""
    table = model.__table__
    conditions = [table.c[name] == value for name, value in where.items()]
    return list((await session.execute(select(table).where(*conditions))).mappings())


async def make_documents(session: AsyncSession, *titles: str, **values: Any) -> list[Document]:
    return await documents.bulk_create(session, [Document(title=title, **values) for title in titles])
