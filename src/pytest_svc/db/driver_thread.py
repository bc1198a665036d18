"""A driver connection that lives on a background event loop, reached from any loop through a thin proxy.

asyncpg connections belong to the loop that opened them, and a test on a function-scoped loop has a loop of its
own: served directly, every such test pays a server connect (TCP, startup, a backend forked) and a close handshake,
about 10 ms on a local server. Here the asyncpg connection is opened once, on a loop that runs in a daemon thread
for the whole session, and SQLAlchemy's asyncpg adapter is handed a :class:`RemoteDriverConnection` in its place:
each awaited driver call runs on the driver's loop and its result comes back to the caller's loop (one thread hop
per round trip, as aiosqlite makes for SQLite). SQLAlchemy and the app see an ordinary connection: the same
statements, the same transactions, the same errors.

What the proxy wraps is asyncpg's own API as SQLAlchemy's adapter uses it: methods that return an awaitable
(``prepare``, ``fetch``, ``executemany``, ``close``, a transaction's ``start``/``commit``/``rollback``, a
cursor's ``fetch``) are awaited on the driver's loop; what they return that has methods of its own (a prepared
statement, a cursor) is wrapped again; plain reads (``get_attributes()``, ``is_closed()``) answer directly;
``terminate()`` runs on the driver's loop, where the transport lives.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")
# What asyncpg hands back that has methods of its own; everything else (rows, status strings) passes as is.
_WRAPPED_TYPES = ("PreparedStatement", "Transaction", "Cursor")
# Sync methods that touch the transport: they must run on the driver's loop, where it lives.
_ON_DRIVER_LOOP = frozenset({"terminate"})


class DriverLoop:
    """An event loop in a daemon thread: where the background driver connections live for the session."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pytest-svc-db-driver", daemon=True)
        self._thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Start ``coro`` on the driver's loop; the future is tracked until it is done (see :meth:`settle`)."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    async def run(self, awaitable: Awaitable[_T]) -> _T:
        """Await ``awaitable`` on the driver's loop, from the calling loop; cancelling the caller cancels it.

        ``asyncio.wrap_future`` without its one flaw here: a call that ends after the caller's loop has closed
        (a task its test left behind) is dropped quietly, instead of logging "Event loop is closed" from the
        driver's thread into whichever test runs then.
        """
        future = self.submit(_awaited(awaitable))
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[_T] = loop.create_future()

        def hand_back(done: concurrent.futures.Future[_T]) -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_copy_outcome, done, waiter)

        future.add_done_callback(hand_back)
        try:
            return await waiter
        except asyncio.CancelledError:
            future.cancel()
            raise

    def call(self, func: Callable[[], _T], timeout: float = 10.0) -> _T:
        """Run the plain ``func`` on the driver's loop and wait for its result (it must not block)."""
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(func())
            except BaseException as exc:  # handed to the caller, as run_coroutine_threadsafe does
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout)

    async def settle(self, within: float) -> bool:
        """Wait, from the calling loop, until no driver call is running; False when some still are ``within`` s on."""
        pending = list(self._pending)
        if not pending:
            return True
        _done, not_done = await asyncio.wait([asyncio.wrap_future(f) for f in pending], timeout=within)
        return not not_done

    def stop(self) -> None:
        """Stop the loop and its thread (the connections on it are closed first, by their owner)."""
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


def _copy_outcome(done: concurrent.futures.Future[_T], waiter: asyncio.Future[_T]) -> None:
    if waiter.done():
        return
    if done.cancelled():
        waiter.cancel()
    elif (error := done.exception()) is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(done.result())


class RemoteDriverObject:
    """An asyncpg object living on a :class:`DriverLoop`, used from another loop (see the module docstring)."""

    __slots__ = ("_driver", "_target")

    def __init__(self, target: Any, driver: DriverLoop) -> None:
        self._target = target
        self._driver = driver

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value
        if name in _ON_DRIVER_LOOP:
            return lambda *args, **kwargs: self._driver.call(lambda: value(*args, **kwargs))

        def method(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            if hasattr(result, "__await__"):
                return self._driver_result(result)
            return wrap(result, self._driver)

        return method

    async def _driver_result(self, awaitable: Awaitable[Any]) -> Any:
        return wrap(await self._driver.run(awaitable), self._driver)

    def __repr__(self) -> str:
        return f"<remote {self._target!r}>"


class RemoteDriverConnection(RemoteDriverObject):
    """The asyncpg connection as SQLAlchemy's adapter sees it when it lives on the driver's loop."""

    __slots__ = ()

    @property
    def target(self) -> Any:
        """The asyncpg connection itself (use it only on the driver's loop)."""
        return self._target


def wrap(value: Any, driver: DriverLoop) -> Any:
    """``value`` as the caller's loop may use it: asyncpg objects with methods wrapped, anything else as is."""
    if type(value).__module__.startswith("asyncpg.") and type(value).__name__ in _WRAPPED_TYPES:
        return RemoteDriverObject(value, driver)
    return value


def remote_connector(driver: DriverLoop, connect: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """An ``async_creator_fn`` for SQLAlchemy's asyncpg dialect: ``connect`` runs on the driver's loop."""

    async def connect_remotely(*args: Any, **kwargs: Any) -> RemoteDriverConnection:
        return RemoteDriverConnection(await driver.run(connect(*args, **kwargs)), driver)

    return connect_remotely
