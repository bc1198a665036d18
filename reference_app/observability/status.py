"""The status a request was answered with, for the middleware that record requests once they are answered."""

from __future__ import annotations

from starlette.types import Message, Send


class AnsweredStatus:
    """Pass ``send`` through, keeping the response's status: 500 until the app answers (a crash answers nothing)."""

    def __init__(self, send: Send) -> None:
        self.code = 500
        self._send = send

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.code = message["status"]
        await self._send(message)
