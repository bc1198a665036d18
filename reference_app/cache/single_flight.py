"""Single-flight: concurrent loads of one key in this process share the first caller's load."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

R = TypeVar("R")


class _LeaderCancelled(Exception):
    """The caller doing the load was cancelled; a waiting caller becomes the next leader."""


class SingleFlight(Generic[R]):
    """Run one load per key at a time: the first caller (the leader) loads, the others await its result.

    The load runs in the leader's own task and context (its request's database session, its contextvars), so
    nothing outlives the request that started it. If the leader fails, every waiter gets its exception; if the
    leader is cancelled (its client went away), one waiter takes over and loads instead. Only this process is
    covered: other processes may load the same key once each.
    """

    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Future[R]] = {}

    def __len__(self) -> int:
        return len(self._calls)

    async def run(self, key: str, load: Callable[[], Awaitable[R]]) -> tuple[R, bool]:
        """``(result, led)``: the result of the load of ``key``, and whether this caller did the load."""
        while (call := self._calls.get(key)) is not None:
            try:
                # shield: a waiter cancelled by its own client must not cancel the shared future.
                return await asyncio.shield(call), False
            except _LeaderCancelled:
                continue
        call = asyncio.get_running_loop().create_future()
        self._calls[key] = call
        try:
            result = await load()
        except asyncio.CancelledError:
            call.set_exception(_LeaderCancelled())
            raise
        except BaseException as exc:
            call.set_exception(exc)
            raise
        else:
            call.set_result(result)
            return result, True
        finally:
            del self._calls[key]
            if call.done() and not call.cancelled():
                call.exception()  # marks it retrieved: no "exception was never retrieved" when nobody waited
