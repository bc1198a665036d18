"""One log record per request, with structured fields; at DEBUG the request's headers and body too, masked.

The record (logger ``reference_app.requests``, INFO) carries ``method``, ``route`` (the route's template,
``/documents/{id}``, never the raw path: ids and search terms stay out), ``status``, ``duration_ms``,
``request_id``, and ``user`` and ``tenant`` when the request was authenticated (their IDs, never the email).
Error answers of the middleware inside this one (413, 429, 500) are logged like any other. A formatter turns the
fields into one JSON line; see the settings' ``logging`` section.
"""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

from asgi_correlation_id.context import correlation_id as request_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_app.observability.pii import mask_headers, mask_text, mask_value
from reference_app.observability.status import AnsweredStatus
from reference_app.routing import RouteTemplates
from reference_app.settings import LoggingSettings

log = logging.getLogger("reference_app.requests")

# (user id, tenant id) of the authenticated caller: set by the auth dependency, read here after the app answered.
current_caller: ContextVar[tuple[str, str | None] | None] = ContextVar("current_caller", default=None)


def _body_for_log(body: bytes, content_type: str) -> Any:
    if content_type.split(";")[0].strip().lower().endswith("json"):
        try:
            return mask_value(json.loads(body))
        except ValueError:
            pass
    return mask_text(body.decode("utf-8", errors="replace"))


class RequestLogMiddleware:
    """Log each HTTP request once, when it is answered (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: LoggingSettings, routes: RouteTemplates | None = None) -> None:
        self.app = app
        self.max_body_bytes = settings.max_body_bytes
        self.routes = routes or RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = AnsweredStatus(send)
        detail = log.isEnabledFor(logging.DEBUG)
        body = bytearray()
        caller_token = current_caller.set(None)

        async def reading_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < self.max_body_bytes:
                body.extend(message.get("body", b"")[: self.max_body_bytes - len(body)])
            return message

        try:
            await self.app(scope, reading_receive if detail else receive, status.send)
        finally:
            self._log(scope, status.code, started, body if detail else None)
            current_caller.reset(caller_token)

    def _log(self, scope: Scope, status: int, started: float, body: bytearray | None) -> None:
        caller = current_caller.get()
        fields: dict[str, Any] = {
            "method": scope["method"],
            "route": self.routes.of(scope),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "request_id": request_id.get(),
        }
        if caller is not None:
            fields["user"], fields["tenant"] = caller
        log.info("%s %s %s", fields["method"], fields["route"], status, extra=fields)
        if body is not None:
            headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
            content_type = next((value for name, value in headers if name == "content-type"), "")
            log.debug(
                "request detail",
                extra={
                    "request_id": fields["request_id"],
                    "headers": mask_headers(headers),
                    "body": _body_for_log(bytes(body), content_type),
                },
            )
