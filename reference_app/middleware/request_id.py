"""Request and correlation IDs: on every response, in context variables for logs, problem bodies and outbound calls.

The request ID is asgi-correlation-id's (its ``CorrelationIdMiddleware``: accept a valid incoming header, else
make one, keep it in ``asgi_correlation_id.correlation_id``, echo it), with a UUIDv7 for a new one. The correlation
ID, the one that follows a call through several services, is this module's: the incoming header when valid,
else the request ID, in :data:`correlation_id`. :func:`outbound_headers` hands it to a call the app makes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar

import uuid_utils
from asgi_correlation_id import CorrelationIdMiddleware
from asgi_correlation_id.context import correlation_id as request_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_app.settings import RequestIdSettings

__all__ = ["RequestIdMiddleware", "correlation_id", "outbound_headers", "request_id"]

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

# Read by outbound_headers(): the header name the running app was configured with.
_correlation_header: ContextVar[str] = ContextVar("correlation_header", default=RequestIdSettings().correlation_header)


def new_request_id() -> str:
    """A new request ID: a UUIDv7, so IDs sort by time in logs."""
    return str(uuid_utils.uuid7())


def validator_for(settings: RequestIdSettings) -> Callable[[str], bool]:
    """Whether an incoming ID may be kept, per ``settings`` (never, when ``accept_incoming`` is false)."""
    if not settings.accept_incoming:
        return lambda _value: False
    pattern = re.compile(settings.pattern)
    return lambda value: pattern.fullmatch(value) is not None


class CorrelationMiddleware:
    """The correlation ID (runs inside asgi-correlation-id's middleware, whose request ID it falls back to)."""

    def __init__(self, app: ASGIApp, settings: RequestIdSettings) -> None:
        self.app = app
        self.header = settings.correlation_header
        self._key = settings.correlation_header.lower().encode("latin-1")
        self._valid = validator_for(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((value for name, value in scope["headers"] if name == self._key), None)
        text = incoming.decode("latin-1") if incoming is not None else None
        value = text if text is not None and self._valid(text) else request_id.get()
        token = correlation_id.set(value)
        header_token = _correlation_header.set(self.header)

        async def send_with_correlation_id(message: Message) -> None:
            if message["type"] == "http.response.start" and value:
                message["headers"] = [*message.get("headers", ()), (self._key, value.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_correlation_id)
        finally:
            correlation_id.reset(token)
            _correlation_header.reset(header_token)


class RequestIdMiddleware:
    """asgi-correlation-id's middleware, its context variable put back after the request.

    A server runs each request in a task (and context) of its own, but an in-process client (httpx's
    ``ASGITransport``) runs the app in the caller's: without this, a test would go on seeing the last
    request's ID, in its own code and in problem bodies it builds.
    """

    def __init__(self, app: ASGIApp, settings: RequestIdSettings) -> None:
        # update_request_header=False: the app reads the ID from the context variable, not from a rewritten
        # request header (rewriting it costs a copy of the headers on every request without one).
        self.app = CorrelationIdMiddleware(
            CorrelationMiddleware(app, settings),
            header_name=settings.header,
            update_request_header=False,
            generator=new_request_id,
            validator=validator_for(settings),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        before = request_id.get()
        try:
            await self.app(scope, receive, send)
        finally:
            request_id.set(before)


def outbound_headers() -> dict[str, str]:
    """The correlation ID for a call the app makes to another service (e.g. from an httpx ``event_hooks`` hook).

    The other service makes its own request ID; the correlation ID ties both requests together. Empty outside a
    request.
    """
    value = correlation_id.get()
    return {_correlation_header.get(): value} if value is not None else {}
