"""fakeredis behind a real TCP port, so a server in another process shares one fake Redis with the tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import redis
from fakeredis import TcpFakeServer
from fakeredis._clients._tcp_server import TCPFakeRequestHandler

from pytest_svc.server.process import LOOPBACK


class _ErrorRepliesKeepTheConnection(TCPFakeRequestHandler):
    # fakeredis 2.40's TCP handler closes the connection after any error reply (its read_response raises, and
    # the handler treats every exception as fatal). Real Redis keeps it open, and redis-py relies on that: a
    # script's EVALSHA answered NOSCRIPT is followed by SCRIPT LOAD on the same connection. Returning the error
    # instead of raising it lets the handler encode it as an ordinary error reply.
    def setup(self) -> None:
        super().setup()
        client = self.current_client
        read_response: Callable[..., Any] = client.read_response

        def read_response_or_error(*args: Any, **kwargs: Any) -> Any:
            try:
                return read_response(*args, **kwargs)
            except redis.ResponseError as exc:
                return exc

        client.read_response = read_response_or_error  # type: ignore[method-assign]


class _TcpFakeServer(TcpFakeServer):
    # socketserver's default backlog of 5 makes a burst of new connections (a server's pool filling up under
    # load) wait about a second for SYN retries.
    request_queue_size = 1024


class FakeRedisServer:
    """fakeredis's ``TcpFakeServer`` (Lua included) on a free 127.0.0.1 port, served from a thread.

    ``url`` is ``redis://127.0.0.1:<port>/0``; any Redis client, in any process, can use it. ``stop()`` closes
    every connection and joins the threads. Usable as a context manager.
    """

    def __init__(self) -> None:
        self._server: TcpFakeServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake Redis server is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> FakeRedisServer:
        if self._server is not None:
            raise RuntimeError("the fake Redis server is already started")
        self._server = _TcpFakeServer((LOOPBACK, 0))
        self._server.RequestHandlerClass = _ErrorRepliesKeepTheConnection
        self._thread = threading.Thread(target=self._server.serve_forever, name="svc-fake-redis", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()  # stops serve_forever and tells every connection handler to finish
        server.server_close()  # joins the handler threads and releases the port
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> FakeRedisServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
