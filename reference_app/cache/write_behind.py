"""The write-behind queue: source writes acknowledged at once, persisted in the background, flushed on close."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from reference_app.cache.metrics import CacheMetrics

log = logging.getLogger(__name__)

Writer = Callable[[Any], Awaitable[object]]
"""Persists one value to the source of truth, e.g. ``lambda doc: repo.save(doc)``."""


@dataclasses.dataclass
class _Pending:
    value: Any
    write: Writer
    attempts: int = 0


class WriteBehindQueue:
    """Pending source writes, one per key (a newer write of a key replaces the queued one), oldest first.

    A background task flushes every ``interval`` seconds, or as soon as ``max_pending`` writes wait. A write
    that fails stays queued for the next flush (unless a newer write of its key arrived meanwhile) and is
    dropped, with an error logged, after ``max_attempts``. :meth:`close` stops the task and flushes what is
    left, so a clean shutdown loses nothing; after it, :meth:`enqueue` writes at once (write-through).
    Writers run after the request that queued them has ended: they must open their own resources (a
    session from the sessionmaker), never borrow the request's.
    """

    def __init__(
        self, metrics: CacheMetrics, *, interval: float = 1.0, max_pending: int = 1000, max_attempts: int = 5
    ) -> None:
        self._metrics = metrics
        self._interval = interval
        self._max_pending = max_pending
        self._max_attempts = max_attempts
        self._pending: dict[str, _Pending] = {}
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def __len__(self) -> int:
        return len(self._pending)

    async def enqueue(self, key: str, value: Any, write: Writer) -> None:
        """Queue ``write(value)`` as the pending write of ``key``; starts the flusher on first use."""
        if self._closed:
            await write(value)
            return
        self._pending.pop(key, None)  # re-inserted last: the queue stays in order of the latest writes
        self._pending[key] = _Pending(value, write)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="cache-write-behind")
        if len(self._pending) >= self._max_pending:
            self._wake.set()

    async def flush(self) -> int:
        """Persist every queued write now, oldest first; return how many succeeded."""
        async with self._lock:
            batch, self._pending = self._pending, {}
            written = 0
            for key, pending in batch.items():
                try:
                    await pending.write(pending.value)
                except Exception:
                    pending.attempts += 1
                    self._metrics.write_behind_errors += 1
                    self._requeue(key, pending)
                else:
                    written += 1
            self._metrics.writes_behind += written
            return written

    def _requeue(self, key: str, pending: _Pending) -> None:
        if key in self._pending:
            return  # a newer write of this key replaced it while we flushed
        if pending.attempts >= self._max_attempts:
            log.error("cache write-behind: gave up writing %r after %d attempts", key, pending.attempts, exc_info=True)
            return
        log.warning("cache write-behind: writing %r failed; retrying at the next flush", key, exc_info=True)
        self._pending[key] = pending

    async def close(self) -> None:
        """Stop the background task and flush what is queued; log the writes that still failed."""
        self._closed = True
        if self._task is not None:
            # Not cancelled: a cancellation in the middle of a writer could lose the write it was doing.
            self._wake.set()
            await self._task
            self._task = None
        await self.flush()
        if self._pending:
            log.error("cache write-behind: %d writes not persisted at shutdown: %s", len(self), list(self._pending))

    async def _run(self) -> None:
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            await self.flush()
