"""The ``/documents`` API: audited CRUD plus a Redis view counter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reference_app.auth import audit_actor, get_current_user, require_role
from reference_app.db import get_db_session
from reference_app.models import Document
from reference_app.principal import PrincipalLike
from reference_app.redis_client import get_redis
from reference_app.schemas import DocumentCreate, DocumentRead, DocumentUpdate, ViewCount

DbSession = Annotated[AsyncSession, Depends(get_db_session)]
RedisClient = Annotated[Redis, Depends(get_redis)]
CurrentUser = Annotated[PrincipalLike, Depends(get_current_user)]

VIEWS_KEY = "documents:{id}:views"

# Every route needs a caller: the audit fields and tenant come from them.
router = APIRouter(prefix="/documents", tags=["documents"], dependencies=[Depends(get_current_user)])


async def _get_or_404(session: AsyncSession, document_id: int) -> Document:
    document = await session.get(Document, document_id)
    if document is None:
        raise HTTPException(404, detail=f"Document {document_id} not found.")
    return document


async def _commit(session: AsyncSession, document: Document) -> DocumentRead:
    await session.commit()
    # Reload server-side values; also safe when the session expires objects on commit.
    await session.refresh(document)
    return DocumentRead.model_validate(document)


@router.post("", status_code=201)
async def create_document(data: DocumentCreate, session: DbSession, principal: CurrentUser) -> DocumentRead:
    """Create a document owned by the caller's tenant."""
    actor = audit_actor()
    document = Document(
        title=data.title, body=data.body, created_by=actor, updated_by=actor, tenant_id=principal.tenant_id
    )
    session.add(document)
    return await _commit(session, document)


@router.get("")
async def list_documents(
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DocumentRead]:
    """List documents in id order, one page at a time."""
    result = await session.scalars(select(Document).order_by(Document.id).limit(limit).offset(offset))
    return [DocumentRead.model_validate(document) for document in result]


@router.get("/{document_id}")
async def read_document(document_id: int, session: DbSession) -> DocumentRead:
    """Return one document, or 404."""
    return DocumentRead.model_validate(await _get_or_404(session, document_id))


@router.patch("/{document_id}")
async def update_document(document_id: int, data: DocumentUpdate, session: DbSession) -> DocumentRead:
    """Change the given fields and record the caller as ``updated_by``."""
    document = await _get_or_404(session, document_id)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(document, field, value)
    document.updated_by = audit_actor()
    return await _commit(session, document)


@router.delete("/{document_id}", status_code=204, dependencies=[Depends(require_role("admin"))])
async def delete_document(document_id: int, session: DbSession) -> None:
    """Delete a document; admins only."""
    await session.delete(await _get_or_404(session, document_id))
    await session.commit()


@router.post("/{document_id}/views")
async def count_view(document_id: int, session: DbSession, redis: RedisClient) -> ViewCount:
    """Count one view of a document in Redis and return the total."""
    await _get_or_404(session, document_id)
    views = await redis.incr(VIEWS_KEY.format(id=document_id))
    return ViewCount(views=views)
