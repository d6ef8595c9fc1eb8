"""Bearer-token access: when a token is configured every path but ``/healthz`` needs it.

A pure ASGI middleware, so the dashboard and its static files are covered as well as the API.
The comparison is constant-time.
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.api.errors import error_response

TOKEN_ENV = "FIREALARM_API_TOKEN"
OPEN_PATHS = frozenset({"/healthz"})


class BearerAuth:
    """Answer 401 unless ``Authorization: Bearer <token>`` matches."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        if hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        message = "missing bearer token" if not given else "invalid bearer token"
        await error_response(401, message)(scope, receive, send)
