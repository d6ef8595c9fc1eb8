"""``HEAD`` answered as ``GET`` without the body (RFC 9110 §9.3.2), on every ``GET`` route.

Uptime checkers and ``curl -I`` ask with ``HEAD``; FastAPI's routes take only the methods they
declare, so without this they got 405. The headers (``content-length`` and ``ETag`` included)
are the ``GET``'s, and a 405's ``Allow`` that lists ``GET`` lists ``HEAD`` too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Runs a ``HEAD`` request as ``GET`` and sends its response without a body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":
            await self.app(scope, receive, _allowing_head(send))
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed body's chunks: only its end is sent, empty
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def _allowing_head(send: Send) -> Send:
    """``send``, adding ``HEAD`` to a 405's ``Allow`` wherever it lists ``GET``."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = MutableHeaders(scope=message)
            allowed = [m.strip() for m in headers.get("allow", "").split(",") if m.strip()]
            if "GET" in allowed and "HEAD" not in allowed:
                headers["allow"] = ", ".join([*allowed, "HEAD"])
        await send(message)

    return sending
