"""Pure-ASGI middleware that refuses request bodies over a size limit with 413."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_app.errors import PayloadTooLargeError
from reference_app.problems import PROBLEM_MEDIA_TYPE, problem_body


class BodySizeLimitMiddleware:
    """Reject bodies larger than ``max_bytes``: at once when ``Content-Length`` says so, else while reading.

    A chunked body has no length up front, so the limit is also counted on the received chunks; the error is
    raised inside the app, where the problem handlers turn it into a 413 response.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLargeError(self._detail())
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."

    async def _refuse(self, scope: Scope, send: Send) -> None:
        # Answered before the app runs, so no exception handler is involved: the same body, written here.
        body = json.dumps(problem_body(413, self._detail(), scope["path"])).encode()
        headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
