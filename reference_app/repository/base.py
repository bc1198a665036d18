"""``BaseRepository``: typed, stateless data access for one model; soft-delete and audit aware.

One repository per model, built once at import (``documents = BaseRepository(Document)``); every method takes
the session, so the same repository serves every request and test. Methods flush but never commit: the caller
owns the transaction. This module holds the writes; the reads and pages are :mod:`.reads`, the statement
building they share :mod:`.query`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, inspect, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from reference_app.db.actor import audit_actor
from reference_app.db.types import utc_now
from reference_app.errors import NotFoundError
from reference_app.mixins.soft_delete import SoftDeleteMixin
from reference_app.repository.query import ModelT
from reference_app.repository.reads import ReadRepository

# Never overwritten by an upsert's update: they describe the row's first insert.
_INSERT_ONLY = frozenset({"created_at", "created_by"})


class BaseRepository(ReadRepository[ModelT]):
    """CRUD, filtered reads, offset and keyset pages, bulk writes and upserts for ``model``.

    Soft-deleted rows (models with :class:`SoftDeleteMixin`) are left out of every read unless
    ``include_deleted=True``, and ``delete`` soft-deletes them unless ``hard=True``. Audit columns are filled from
    the audit actor (:mod:`reference_app.db.actor`, the request's caller) by the flush listener and, for the
    statements that bypass the flush (``upsert``, ``bulk_update``, ``delete_many``), here. Tenancy is a filter like
    any other: ``filters={"tenant_id": ...}``.

    ``cursor_key`` signs pagination cursors. Without one the repository uses a key made at import, valid only in
    this process: give every process of a deployment the same secret key when cursors must survive restarts or
    travel between workers.

    Column names given to ``filters``, ``order_by`` and the write methods must be mapped columns of ``model``,
    else ``ValueError``: validate names that come from a client (e.g. a ``Literal`` query parameter) first.
    """

    def _now_and_actor(self) -> dict[str, Any]:
        """Audit and timestamp values for a Core UPDATE, which the flush listener never sees."""
        values: dict[str, Any] = {}
        if self._timestamped:
            values["updated_at"] = utc_now()
        actor = audit_actor()
        if self._audited and actor is not None:
            values["updated_by"] = actor
        return values

    # -- single-row writes -------------------------------------------------------------------------------------

    async def create(self, session: AsyncSession, obj: ModelT) -> ModelT:
        """Insert ``obj`` (flushed, so its primary key and defaults are set) and return it."""
        session.add(obj)
        await session.flush()
        return obj

    async def update(self, session: AsyncSession, id_or_obj: Any, /, **values: Any) -> ModelT:
        """Set ``values`` on the row (an object, or a primary key: soft-deleted rows are not found) and flush."""
        obj = await self._resolve(session, id_or_obj, include_deleted=False)
        self._check_columns(values)
        if self._pk_key in values:
            raise ValueError(f"{self.model.__name__}.{self._pk_key} is the primary key and cannot be updated.")
        for name, value in values.items():
            setattr(obj, name, value)
        await session.flush()
        return obj

    async def delete(self, session: AsyncSession, id_or_obj: Any, /, *, hard: bool = False) -> ModelT:
        """Soft-delete the row if the model supports it, else (or with ``hard=True``) delete it; return it.

        ``hard=True`` also finds rows that are already soft-deleted, to purge them.
        """
        obj = await self._resolve(session, id_or_obj, include_deleted=hard)
        if isinstance(obj, SoftDeleteMixin) and not hard:
            obj.soft_delete()
        else:
            await session.delete(obj)
        await session.flush()
        return obj

    async def restore(self, session: AsyncSession, id_or_obj: Any, /) -> ModelT:
        """Undo a soft delete and return the row; ``TypeError`` for models without :class:`SoftDeleteMixin`."""
        if not self._soft_delete:
            raise TypeError(f"{self.model.__name__} has no soft delete to undo.")
        obj = await self._resolve(session, id_or_obj, include_deleted=True)
        if isinstance(obj, SoftDeleteMixin):
            obj.restore()
        await session.flush()
        return obj

    # -- bulk writes -------------------------------------------------------------------------------------------

    async def bulk_create(self, session: AsyncSession, objs: Iterable[ModelT]) -> builtins.list[ModelT]:
        """Insert many objects and return them with their primary keys.

        The flush batches them (SQLAlchemy's "insertmanyvalues"): on PostgreSQL one ``INSERT ... VALUES (...),
        (...) RETURNING`` per 1000 rows. On SQLite, keys made in Python (UUIDs) go out as one executemany; keys the
        database assigns (integers) need one INSERT per row, because SQLite does not promise that ``RETURNING``
        lists a multi-row INSERT's rows in order, and each object must get its own key.
        """
        created = builtins.list(objs)
        session.add_all(created)
        await session.flush()
        return created

    async def bulk_update(self, session: AsyncSession, rows: Iterable[Mapping[str, Any]]) -> builtins.list[ModelT]:
        """Apply ``[{"id": 1, "title": "A"}, {"id": 2, "body": "B"}]``: one SELECT, one UPDATE per set of columns.

        Rows changing the same columns go out together as one executemany (SQLAlchemy's bulk UPDATE by primary
        key), with ``updated_at``/``updated_by`` stamped as for single updates. Returns the objects, up to date,
        in the order given; a missing or soft-deleted id raises :class:`~reference_app.errors.NotFoundError`
        before anything is written.
        """
        changes = [dict(row) for row in rows]
        for change in changes:
            if self._pk_key not in change:
                raise ValueError(f"every row of bulk_update needs its primary key {self._pk_key!r}.")
            self._check_columns(change)
        if not changes:
            return []
        ids = [change[self._pk_key] for change in changes]
        # populate_existing loads every column into objects already in the session: the bulk UPDATE below only
        # refreshes attributes an object has loaded, and a freshly inserted object has not loaded its NULLs.
        statement = self._select(None, include_deleted=False).where(self._pk.in_(ids))
        loaded = await session.scalars(statement.execution_options(populate_existing=True))
        found = {getattr(obj, self._pk_key): obj for obj in loaded}
        missing = [id for id in ids if id not in found]
        if missing:
            raise NotFoundError(f"{self.model.__name__} {', '.join(map(str, missing))} not found.", ids=missing)
        stamp = self._now_and_actor()
        batches: dict[tuple[str, ...], builtins.list[dict[str, Any]]] = {}
        for change in changes:
            row = {**stamp, **change}
            batches.setdefault(tuple(sorted(row)), []).append(row)
        for batch in batches.values():
            await session.execute(update(self.model), batch)
        return [found[id] for id in ids]

    async def delete_many(self, session: AsyncSession, ids: Iterable[Any], *, hard: bool = False) -> int:
        """Delete the rows with these primary keys in one statement; return how many were deleted.

        Soft (an ``UPDATE`` of the rows not yet deleted) when the model supports it and ``hard`` is false, else a
        ``DELETE``. Loaded objects are updated or removed from the session to match.
        """
        id_list = builtins.list(ids)
        if not id_list:
            return 0
        pk = self._pk
        if not self._soft_delete or hard:
            # "fetch": loaded objects of the deleted rows leave the session, as after session.delete().
            result = await session.execute(
                delete(self.model).where(pk.in_(id_list)).returning(pk),
                execution_options={"synchronize_session": "fetch"},
            )
            return len(result.all())
        values = {"deleted_at": utc_now(), "deleted_by": audit_actor(), **self._now_and_actor()}
        statement = update(self.model).where(pk.in_(id_list), self._attribute("deleted_at").is_(None)).values(values)
        result = await session.execute(statement.returning(pk), execution_options={"synchronize_session": False})
        deleted = result.scalars().all()
        # Loaded objects get exactly what was written. SQLAlchemy's own synchronization skips attributes a fresh
        # object never loaded (e.g. deleted_at after its INSERT), which would then read as None.
        mapper = inspect(self.model)
        for id in deleted:
            obj = session.identity_map.get(mapper.identity_key_from_primary_key((id,)))
            if obj is not None:
                for name, value in values.items():
                    set_committed_value(obj, name, value)
        return len(deleted)

    async def upsert(
        self,
        session: AsyncSession,
        values: Mapping[str, Any],
        *,
        index_elements: Sequence[str],
        update_fields: Iterable[str] | None = None,
    ) -> ModelT:
        """Insert ``values``, or update the row they collide with on ``index_elements``, atomically; return it.

        One ``INSERT ... ON CONFLICT (index_elements) DO UPDATE ... RETURNING`` on PostgreSQL and SQLite: no
        read-then-write race. ``update_fields`` (default: every given column but the key, the primary key and
        ``created_*``) are overwritten with the values this insert would have written, column defaults included;
        ``updated_at``/``updated_by`` are stamped, and a soft-deleted row is restored: the caller asked for it to
        exist. ``index_elements`` must match a unique constraint or index.
        """
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            insert = postgresql.insert
        elif dialect == "sqlite":
            insert = sqlite.insert  # type: ignore[assignment]
        else:
            raise NotImplementedError(f"upsert supports PostgreSQL and SQLite, not {dialect}.")
        if not index_elements:
            raise ValueError("upsert needs the columns of a unique constraint in index_elements.")
        row = dict(values)
        self._check_columns([*row, *index_elements])
        if self._timestamped:
            now = utc_now()
            row.setdefault("created_at", now)
            row.setdefault("updated_at", now)
        actor = audit_actor()
        if self._audited and actor is not None:
            row.setdefault("created_by", actor)
            row.setdefault("updated_by", actor)
        if update_fields is None:
            skipped = {*index_elements, self._pk_key, *_INSERT_ONLY}
            fields = [name for name in row if name not in skipped]
        else:
            fields = builtins.list(update_fields)
            self._check_columns(fields)
        for stamped in ("updated_at", "updated_by"):
            if stamped in row and stamped not in fields:
                fields.append(stamped)
        statement = insert(self.model).values(row)
        excluded = statement.excluded
        set_: dict[str, Any] = {self._columns[name].name: excluded[self._columns[name].name] for name in fields}
        if self._soft_delete:
            set_.update(deleted_at=None, deleted_by=None)
        if not set_:
            # DO NOTHING would return no row on conflict; a no-op assignment returns it.
            key = self._columns[index_elements[0]].name
            set_[key] = excluded[key]
        conflict = [self._columns[name].name for name in index_elements]
        upsert = statement.on_conflict_do_update(index_elements=conflict, set_=set_)
        # populate_existing: an already loaded object of that row takes the values the database now holds.
        result = await session.scalars(upsert.returning(self.model), execution_options={"populate_existing": True})
        return result.one()
