"""Pure-ASGI middleware that refuses request bodies over a size limit with 413."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_app.errors import send_problem


class BodySizeLimitMiddleware:
    """Reject bodies larger than ``max_bytes``: at once when ``Content-Length`` says so, else while reading.

    A chunked body has no length up front, so the received chunks are counted too. An exception raised from
    ``receive`` would reach the framework's body parser, which reports any read failure as a 400; so past the
    limit the middleware answers 413 itself, tells the app the client is gone, and drops what the app sends.
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
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        await send_problem(scope, send, 413, f"The request body is larger than {self.max_bytes} bytes.")
