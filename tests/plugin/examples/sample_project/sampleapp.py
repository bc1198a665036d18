"""A minimal service for the plugin's own tests: one table, a session, a Redis client and a user dependency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


async def get_session() -> AsyncIterator[AsyncSession]:
    raise RuntimeError("the production session must not be used in tests")
    yield  # pragma: no cover


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    raise RuntimeError("the production sessionmaker must not be used in tests")


async def get_redis() -> Any:
    raise RuntimeError("the production Redis client must not be used in tests")


async def authenticate() -> Any:
    raise RuntimeError("the production authentication must not be used in tests")


Session = Annotated[AsyncSession, Depends(get_session)]
lifespan_events: list[str] = []


def create_app() -> FastAPI:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.startup_loop = asyncio.get_running_loop()
        lifespan_events.append("startup")
        yield
        lifespan_events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.post("/items/{name}", status_code=201)
    async def create_item(name: str, session: Session) -> dict[str, Any]:
        item = Item(name=name)
        session.add(item)
        await session.commit()
        return {"id": item.id, "name": name}

    @app.post("/items/{name}/then-rollback")
    async def create_then_rollback(name: str, session: Session) -> dict[str, Any]:
        session.add(Item(name=name))
        await session.flush()
        await session.rollback()
        return {"rolled_back": name}

    @app.post("/maker-items/{name}", status_code=201)
    async def create_with_maker(
        name: str, maker: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
    ) -> dict[str, Any]:
        async with maker.begin() as session:
            session.add(Item(name=name))
        return {"name": name}

    @app.get("/items")
    async def list_items(session: Session) -> list[str]:
        return list((await session.scalars(select(Item.name).order_by(Item.id))).all())

    @app.get("/items/count")
    async def count_items(session: Session) -> int:
        return int(await session.scalar(select(func.count()).select_from(Item)) or 0)

    @app.get("/me")
    async def me(user: Annotated[Any, Depends(authenticate)]) -> dict[str, Any]:
        return {"id": user.id, "email": user.email, "roles": list(user.roles), "tenant_id": user.tenant_id}

    @app.post("/hits")
    async def hit(redis: Annotated[Any, Depends(get_redis)]) -> dict[str, int]:
        return {"hits": int(await redis.incr("hits"))}

    @app.get("/lifespan")
    async def lifespan_state() -> list[str]:
        return lifespan_events

    return app


app = create_app()
