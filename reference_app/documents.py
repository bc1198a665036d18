"""The ``/documents`` API: tenant-scoped, audited, soft-deleted documents, with Redis view counts.

Every route needs a caller: the tenant scope and the audit fields come from them. A document of another tenant
answers 404 like a missing one, so ids do not reveal what other tenants hold.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from reference_app.auth import get_current_user, require_role
from reference_app.db import BaseRepository, SearchFilter, get_db_session
from reference_app.errors import NotFoundError
from reference_app.models import Document
from reference_app.principal import PrincipalLike
from reference_app.redis_client import get_redis
from reference_app.schemas import (
    CursorPageRead,
    DocumentBulkCreate,
    DocumentCreate,
    DocumentRead,
    DocumentUpdate,
    OffsetPageRead,
    ViewCount,
)
from reference_app.settings import get_settings

DbSession = Annotated[AsyncSession, Depends(get_db_session)]
RedisClient = Annotated[Redis, Depends(get_redis)]
CurrentUser = Annotated[PrincipalLike, Depends(get_current_user)]
Limit = Annotated[int, Query(ge=1, le=100)]
# Only these columns may be sorted on: the repository treats an unknown name as a programming error.
SortField = Literal["id", "title", "created_at", "updated_at"]

VIEWS_KEY = "documents:{id}:views"

documents = BaseRepository(Document, cursor_key=get_settings().cursor_secret.get_secret_value().encode())
router = APIRouter(prefix="/documents", tags=["documents"], dependencies=[Depends(get_current_user)])


async def _in_tenant(
    session: AsyncSession, document_id: int, principal: PrincipalLike, *, include_deleted: bool = False
) -> Document:
    document = await documents.get(session, document_id, include_deleted=include_deleted)
    if document is None or document.tenant_id != principal.tenant_id:
        raise NotFoundError(f"Document {document_id} not found.")
    return document


async def _commit(session: AsyncSession, document: Document) -> DocumentRead:
    await session.commit()
    return DocumentRead.model_validate(document)


@router.post("", status_code=201)
async def create_document(data: DocumentCreate, session: DbSession, principal: CurrentUser) -> DocumentRead:
    """Create a document in the caller's tenant."""
    document = await documents.create(session, Document(**data.model_dump(), tenant_id=principal.tenant_id))
    return await _commit(session, document)


@router.post("/bulk", status_code=201)
async def create_documents(data: DocumentBulkCreate, session: DbSession, principal: CurrentUser) -> list[DocumentRead]:
    """Create up to 100 documents at once; all or none."""
    created = await documents.bulk_create(
        session, [Document(**item.model_dump(), tenant_id=principal.tenant_id) for item in data.items]
    )
    await session.commit()
    return [DocumentRead.model_validate(document) for document in created]


@router.get("")
async def list_documents(
    session: DbSession,
    principal: CurrentUser,
    limit: Limit = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: SortField = "id",
    descending: bool = False,
) -> OffsetPageRead[DocumentRead]:
    """One page of the tenant's documents by offset, with the total."""
    page = await documents.paginate_offset(
        session, limit, offset, filters={"tenant_id": principal.tenant_id}, order_by=("-" if descending else "") + sort
    )
    return OffsetPageRead(
        items=[DocumentRead.model_validate(d) for d in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get("/cursor")
async def list_documents_by_cursor(
    session: DbSession,
    principal: CurrentUser,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    sort: SortField = "id",
    descending: bool = False,
) -> CursorPageRead[DocumentRead]:
    """One page of the tenant's documents by keyset; stable while documents come and go between pages."""
    page = await documents.paginate_cursor(
        session,
        limit,
        cursor or None,  # ?cursor= (empty) is the first page, as no cursor is
        order_by=sort,
        descending=descending,
        filters={"tenant_id": principal.tenant_id},
    )
    return CursorPageRead(
        items=[DocumentRead.model_validate(d) for d in page.items],
        next_cursor=page.next_cursor,
        prev_cursor=page.prev_cursor,
    )


@router.get("/search")
async def search_documents(
    session: DbSession,
    principal: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Limit = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: SortField = "id",
) -> OffsetPageRead[DocumentRead]:
    """The tenant's documents whose title contains ``q`` (case-insensitive)."""
    page = await documents.paginate_offset(
        session,
        limit,
        offset,
        filters=[SearchFilter("title", q), Document.tenant_id == principal.tenant_id],
        order_by=sort,
    )
    return OffsetPageRead(
        items=[DocumentRead.model_validate(d) for d in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get("/{document_id}")
async def read_document(document_id: int, session: DbSession, principal: CurrentUser) -> DocumentRead:
    """One document of the caller's tenant, or 404."""
    return DocumentRead.model_validate(await _in_tenant(session, document_id, principal))


@router.patch("/{document_id}")
async def update_document(
    document_id: int, data: DocumentUpdate, session: DbSession, principal: CurrentUser
) -> DocumentRead:
    """Change the given fields; the caller becomes ``updated_by``."""
    document = await _in_tenant(session, document_id, principal)
    await documents.update(session, document, **data.model_dump(exclude_unset=True, exclude_none=True))
    return await _commit(session, document)


@router.delete("/{document_id}", status_code=204, dependencies=[Depends(require_role("admin"))])
async def delete_document(document_id: int, session: DbSession, principal: CurrentUser, hard: bool = False) -> None:
    """Soft-delete a document (``?hard=true`` removes it for good); admins only."""
    document = await _in_tenant(session, document_id, principal, include_deleted=hard)
    await documents.delete(session, document, hard=hard)
    await session.commit()


@router.post("/{document_id}/restore", dependencies=[Depends(require_role("admin"))])
async def restore_document(document_id: int, session: DbSession, principal: CurrentUser) -> DocumentRead:
    """Bring back a soft-deleted document; admins only."""
    document = await _in_tenant(session, document_id, principal, include_deleted=True)
    await documents.restore(session, document)
    return await _commit(session, document)


@router.post("/{document_id}/views")
async def count_view(document_id: int, session: DbSession, redis: RedisClient, principal: CurrentUser) -> ViewCount:
    """Count one view of a document in Redis and return the total."""
    await _in_tenant(session, document_id, principal)
    views = await redis.incr(VIEWS_KEY.format(id=document_id))
    return ViewCount(views=views)
