"""A minimal service for the plugin's own tests: one table, a session, a Redis client and a user dependency."""

from __future__ import annotations

import asyncio
import enum
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import uuid_utils
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from redis import exceptions as redis_exceptions
from sqlalchemy import JSON, DateTime, Enum, ForeignKey, LargeBinary, Numeric, String, Text, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


# Mixins in the style of the service template: a key of each kind, timestamps, audit columns, soft delete.
def now() -> datetime:
    return datetime.now(UTC)


def new_uuid7() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


class IntegerPKMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


class UUIDPKMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class UUID7PKMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid7)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)


class AuditColumnsMixin:
    created_by: Mapped[str | None] = mapped_column(String(320))
    updated_by: Mapped[str | None] = mapped_column(String(320))


class SoftDeleteMixin:
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(320))
    is_deleted: Mapped[bool] = mapped_column(default=False)

    def soft_delete(self, by: str | None = None) -> None:
        self.deleted_at, self.deleted_by, self.is_deleted = now(), by, True


class IntNote(IntegerPKMixin, Base):
    __tablename__ = "int_notes"
    text: Mapped[str] = mapped_column(String(200))


class UUIDNote(UUIDPKMixin, Base):
    __tablename__ = "uuid_notes"
    text: Mapped[str] = mapped_column(String(200))


class UUID7Note(UUID7PKMixin, Base):
    __tablename__ = "uuid7_notes"
    text: Mapped[str] = mapped_column(String(200))


class Author(IntegerPKMixin, TimestampMixin, AuditColumnsMixin, Base):
    __tablename__ = "authors"
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), unique=True)


class Book(IntegerPKMixin, TimestampMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "books"
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship()


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Gadget(UUIDPKMixin, Base):
    """One required column of each common type, for make_test_model."""

    __tablename__ = "gadgets"
    code: Mapped[str] = mapped_column(String(8), unique=True)
    contact_email: Mapped[str] = mapped_column(String(320))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int]
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    weight: Mapped[float]
    active: Mapped[bool]
    released_on: Mapped[date]
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    local_time: Mapped[datetime]
    color: Mapped[Color] = mapped_column(Enum(Color))
    serial: Mapped[uuid.UUID]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str | None]
    stock: Mapped[int] = mapped_column(server_default="0")


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

    # Redis-facing endpoints for cache_helper, redis_down and the rate limit assertions.
    @app.get("/cached-items/{name}")
    async def cached_item(name: str, redis: Annotated[Any, Depends(get_redis)]) -> dict[str, Any]:
        key = f"item:{name}"
        if (cached := await redis.get(key)) is not None:
            return {"source": "cache", **json.loads(cached)}
        value = {"name": name, "length": len(name)}
        await redis.set(key, json.dumps(value), ex=30)
        return {"source": "computed", **value}

    @app.get("/redis-status")
    async def redis_status(redis: Annotated[Any, Depends(get_redis)]) -> JSONResponse:
        try:
            await redis.ping()
        except redis_exceptions.ConnectionError:
            return JSONResponse({"redis": "down"}, status_code=503)
        return JSONResponse({"redis": "up"})

    @app.get("/limited")
    async def limited(request: Request, redis: Annotated[Any, Depends(get_redis)]) -> JSONResponse:
        """A fixed window of 2 requests a minute; open (no headers) when Redis is down."""
        limit, window, key = 2, 60, "ratelimit:limited"
        try:
            count = int(await redis.incr(key))
            if count == 1:
                await redis.expire(key, window)
            reset = max(int(await redis.ttl(key)), 0)
        except redis_exceptions.ConnectionError:
            return JSONResponse({"ok": True, "limited": False})
        headers = {
            "RateLimit-Policy": f'"default";q={limit};w={window}',
            "RateLimit": f'"default";r={max(limit - count, 0)};t={reset}',
        }
        if count > limit:
            problem = {"type": "about:blank", "title": "Too Many Requests", "status": 429, "instance": request.url.path}
            headers["Retry-After"] = str(reset)
            return JSONResponse(problem, status_code=429, headers=headers, media_type="application/problem+json")
        return JSONResponse({"ok": True, "limited": True}, headers=headers)

    return app


app = create_app()
