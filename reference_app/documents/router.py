"""The ``/documents`` API: tenant-scoped, audited, soft-deleted documents, with Redis view counts.

Every route needs a caller: the tenant scope and the audit fields come from them. A document of another tenant
answers 404 like a missing one, so ids do not reveal what other tenants hold.

Reads by id and offset pages are cached (``reference_app.cache``); every write invalidates, after its commit,
the tags of what it changed: ``document:<id>`` and the tenant's pages.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from reference_app.auth import PrincipalLike, get_current_user
from reference_app.cache import cache_key, cached, get_cache, invalidate_tags
from reference_app.dependencies import Cache, CurrentUser, DbSession, RedisClient, RequireAdmin
from reference_app.documents.models import Document
from reference_app.documents.schemas import DocumentBulkCreate, DocumentCreate, DocumentRead, DocumentUpdate, ViewCount
from reference_app.errors import NotFoundError
from reference_app.pagination import CursorPageRead, OffsetPageRead, PageLimit, PageOffset
from reference_app.repository import BaseRepository, SearchFilter
from reference_app.settings import get_settings

# Only these columns may be sorted on: the repository treats an unknown name as a programming error.
SortField = Literal["id", "title", "created_at", "updated_at"]

VIEWS_KEY = "documents:{id}:views"

documents = BaseRepository(Document, cursor_key=get_settings().cursor_secret.get_secret_value().encode())
# get_cache on the router: every route has the request's cache current, for load_document and invalidate_tags.
router = APIRouter(
    prefix="/documents", tags=["documents"], dependencies=[Depends(get_current_user), Depends(get_cache)]
)


def document_tag(document_id: int) -> str:
    """The cache tag of everything showing document ``document_id`` alone."""
    return f"document:{document_id}"


def tenant_documents_tag(tenant_id: str | None) -> str:
    """The cache tag of a tenant's cached listings, which any document write of the tenant changes."""
    return cache_key("tenant", tenant_id, "documents")


async def _written(tenant_id: str | None, *document_ids: int) -> None:
    # After the commit: a read between the invalidation and the commit would cache the old row again.
    await invalidate_tags([tenant_documents_tag(tenant_id), *map(document_tag, document_ids)])


@cached(
    key_prefix="documents",
    key_func=lambda document_id, **_: str(document_id),
    tags=lambda document_id, **_: [document_tag(document_id)],
)
async def load_document(session: AsyncSession, document_id: int) -> DocumentRead:
    """The live document ``document_id`` of any tenant (callers check the tenant), or 404; cached."""
    document = await documents.get(session, document_id)
    if document is None:
        raise NotFoundError(f"Document {document_id} not found.")
    return DocumentRead.model_validate(document)


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
    created = await _commit(session, document)
    await _written(principal.tenant_id)
    return created


@router.post("/bulk", status_code=201)
async def create_documents(data: DocumentBulkCreate, session: DbSession, principal: CurrentUser) -> list[DocumentRead]:
    """Create up to 100 documents at once; all or none."""
    created = await documents.bulk_create(
        session, [Document(**item.model_dump(), tenant_id=principal.tenant_id) for item in data.items]
    )
    await session.commit()
    await _written(principal.tenant_id)
    return [DocumentRead.model_validate(document) for document in created]


@router.get("")
async def list_documents(
    session: DbSession,
    principal: CurrentUser,
    cache: Cache,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    sort: SortField = "id",
    descending: bool = False,
) -> OffsetPageRead[DocumentRead]:
    """One page of the tenant's documents by offset, with the total; cached until a document of the tenant changes."""

    async def fetch() -> OffsetPageRead[DocumentRead]:
        order_by = ("-" if descending else "") + sort
        page = await documents.paginate_offset(
            session, limit, offset, filters={"tenant_id": principal.tenant_id}, order_by=order_by
        )
        return OffsetPageRead(
            items=[DocumentRead.model_validate(d) for d in page.items], total=page.total, limit=limit, offset=offset
        )

    key = cache_key("documents", "page", principal.tenant_id, limit=limit, offset=offset, sort=sort, desc=descending)
    return await cache.get_or_fetch(
        key, fetch, OffsetPageRead[DocumentRead], tags=[tenant_documents_tag(principal.tenant_id)]
    )


@router.get("/cursor")
async def list_documents_by_cursor(
    session: DbSession,
    principal: CurrentUser,
    limit: PageLimit = 50,
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
    limit: PageLimit = 50,
    offset: PageOffset = 0,
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
    """One document of the caller's tenant, or 404; cached until the document changes."""
    document = await load_document(session, document_id)
    if document.tenant_id != principal.tenant_id:
        raise NotFoundError(f"Document {document_id} not found.")
    return document


@router.patch("/{document_id}")
async def update_document(
    document_id: int, data: DocumentUpdate, session: DbSession, principal: CurrentUser
) -> DocumentRead:
    """Change the given fields; the caller becomes ``updated_by``."""
    document = await _in_tenant(session, document_id, principal)
    await documents.update(session, document, **data.model_dump(exclude_unset=True, exclude_none=True))
    updated = await _commit(session, document)
    await _written(principal.tenant_id, document_id)
    return updated


@router.delete("/{document_id}", status_code=204, dependencies=[RequireAdmin])
async def delete_document(document_id: int, session: DbSession, principal: CurrentUser, hard: bool = False) -> None:
    """Soft-delete a document (``?hard=true`` removes it for good); admins only."""
    document = await _in_tenant(session, document_id, principal, include_deleted=hard)
    await documents.delete(session, document, hard=hard)
    await session.commit()
    await _written(principal.tenant_id, document_id)


@router.post("/{document_id}/restore", dependencies=[RequireAdmin])
async def restore_document(document_id: int, session: DbSession, principal: CurrentUser) -> DocumentRead:
    """Bring back a soft-deleted document; admins only."""
    document = await _in_tenant(session, document_id, principal, include_deleted=True)
    await documents.restore(session, document)
    restored = await _commit(session, document)
    await _written(principal.tenant_id, document_id)
    return restored


@router.post("/{document_id}/views")
async def count_view(document_id: int, session: DbSession, redis: RedisClient, principal: CurrentUser) -> ViewCount:
    """Count one view of a document in Redis and return the total."""
    await _in_tenant(session, document_id, principal)
    views = await redis.incr(VIEWS_KEY.format(id=document_id))
    return ViewCount(views=views)
