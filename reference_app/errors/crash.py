"""A crash answered from inside the middleware stack, so the 500 carries what the outer middleware adds.

Starlette runs the app's ``Exception`` handler in ``ServerErrorMiddleware``, outside every middleware the app
adds: its 500 would leave without the request ID and the security headers. :class:`CrashAnswerMiddleware` sits
inside those two and answers a crash with the same problem first. It then re-raises, as Starlette does, so
``ServerErrorMiddleware`` still runs the handler (which logs the traceback) and the server still sees the
error; the response having started, no second one is sent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_app.errors.problems import UNEXPECTED_DETAIL, send_problem


class CrashAnswerMiddleware:
    """Answer an exception the app did not handle with the 500 problem, unless a response has started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if not started:
                await send_problem(scope, send, 500, UNEXPECTED_DETAIL)
            raise
