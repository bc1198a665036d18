"""A service written the way real ones are: its engine and sessions made by its own code, its dependency
committing after ``yield``, handlers that only flush. One app per place the service keeps its database.

The engines point at a server that does not exist: if the plugin failed to rebind them, a request would fail
loudly instead of writing anywhere. No ``from __future__ import annotations``: FastAPI resolves the
``Annotated`` dependencies the route factories define locally.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from redis.asyncio import Redis
from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:1/nowhere"
NO_REDIS = "redis://127.0.0.1:1/0"


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    note: Mapped[str] = mapped_column(String(50), default="")


engine = create_async_engine(NOWHERE)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
_maker: async_sessionmaker[AsyncSession] | None = None
redis = Redis.from_url(NO_REDIS, decode_responses=True)


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    """The lazily made sessionmaker, as a service that creates nothing at import would have it."""
    global _maker
    if _maker is None:
        _maker = async_sessionmaker(create_async_engine(NOWHERE), expire_on_commit=False)
    return _maker


async def committing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """FastAPI's and SQLAlchemy's documented pattern: commit when the request succeeds, roll back when it fails."""
    try:
        yield session
        await session.commit()
    except Exception:
        await session.rollback()
        raise


async def db_from_module_maker() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        async for s in committing(session):
            yield s


async def db_from_module_engine() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        async for s in committing(session):
            yield s


async def db_from_getter() -> AsyncIterator[AsyncSession]:
    async with get_sessionmaker()() as session:
        async for s in committing(session):
            yield s


async def db_from_state_maker(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        async for s in committing(session):
            yield s


async def db_from_state_engine(request: Request) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
        async for s in committing(session):
            yield s


async def add_item(session: AsyncSession, name: str) -> dict[str, Any]:
    """What the create handlers do with their session: add and flush (never commit), 409 on a duplicate."""
    item = Item(name=name)
    session.add(item)
    try:
        await session.flush()
    except IntegrityError:
        raise HTTPException(409, detail=f"{name} exists") from None
    return {"id": item.id, "name": name}


async def find_item(session: AsyncSession, name: str) -> Item:
    item = await session.scalar(select(Item).where(Item.name == name))
    if item is None:
        raise HTTPException(404)
    return item


def routes(get_db: Callable[..., Any]) -> APIRouter:
    """Handlers on the request's session from the app's dependency; they only flush."""
    router = APIRouter()
    Db = Annotated[AsyncSession, Depends(get_db)]

    @router.post("/items/{name}", status_code=201)
    async def create(name: str, db: Db) -> dict[str, Any]:
        return await add_item(db, name)

    @router.get("/items/{name}")
    async def read(name: str, db: Db) -> dict[str, Any]:
        item = await find_item(db, name)
        return {"id": item.id, "name": item.name, "note": item.note}

    @router.patch("/items/{name}")
    async def annotate(name: str, note: str, db: Db) -> dict[str, Any]:
        (await find_item(db, name)).note = note
        await db.flush()
        return {"note": note}

    @router.post("/fail/{name}")
    async def fail(name: str, db: Db) -> None:
        await add_item(db, name)
        raise HTTPException(500, detail="failed after a write: the dependency rolls back")

    return router


def sessionmaker_routes() -> APIRouter:
    """Handlers that take the sessionmaker from a dependency and manage their own sessions."""
    router = APIRouter()

    async def get_maker() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
        yield SessionLocal

    Maker = Annotated[async_sessionmaker[AsyncSession], Depends(get_maker)]

    @router.post("/items/{name}", status_code=201)
    async def create(name: str, maker: Maker) -> dict[str, Any]:
        async with maker() as session, session.begin():
            return await add_item(session, name)

    @router.get("/items/{name}")
    async def read(name: str, maker: Maker) -> dict[str, Any]:
        async with maker() as session:
            item = await find_item(session, name)
            return {"id": item.id, "name": item.name, "note": item.note}

    @router.patch("/items/{name}")
    async def annotate(name: str, note: str, maker: Maker) -> dict[str, Any]:
        async with maker() as session:
            (await find_item(session, name)).note = note
            await session.commit()
            return {"note": note}

    @router.post("/fail/{name}")
    async def fail(name: str, maker: Maker) -> None:
        async with maker() as session, session.begin():
            await add_item(session, name)
            raise HTTPException(500, detail="failed inside begin(): rolled back")

    return router


def hits_routes(get_redis: Callable[..., Redis]) -> APIRouter:
    router = APIRouter()

    @router.post("/hits")
    async def hit(client: Annotated[Redis, Depends(get_redis)]) -> dict[str, int]:
        return {"hits": int(await client.incr("hits"))}

    return router


def module_redis() -> Redis:
    return redis


def state_redis(request: Request) -> Redis:
    return request.app.state.redis  # type: ignore[no-any-return]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """What a service's lifespan makes: its engine, sessionmaker and Redis client, kept on app.state."""
    app.state.engine = create_async_engine(NOWHERE)
    app.state.sessionmaker = async_sessionmaker(app.state.engine, expire_on_commit=False)
    app.state.redis = Redis.from_url(NO_REDIS, decode_responses=True)
    try:
        yield
    finally:
        await app.state.redis.aclose()
        await app.state.engine.dispose()


def _app(router: APIRouter, *, with_lifespan: bool = False, redis_from: Callable[..., Redis] = module_redis) -> FastAPI:
    app = FastAPI(lifespan=lifespan if with_lifespan else None)
    app.include_router(router)
    app.include_router(hits_routes(redis_from))
    return app


module_maker_app = _app(routes(db_from_module_maker))
module_engine_app = _app(routes(db_from_module_engine))
getter_app = _app(routes(db_from_getter))
state_maker_app = _app(routes(db_from_state_maker), with_lifespan=True, redis_from=state_redis)
state_engine_app = _app(routes(db_from_state_engine), with_lifespan=True, redis_from=state_redis)
sessionmaker_dependency_app = _app(sessionmaker_routes())
