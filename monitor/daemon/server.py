"""The daemon's HTTP server: uvicorn in a background thread.

The app is the read API's (``monitor.api.app.create_app``) with the daemon's health check and
``/metrics`` router plugged in.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Sequence

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from monitor.daemon.health import HealthCheck
from monitor.errors import FirealarmError
from monitor.runtime import Runtime

API_TOKEN_ENV = "FIREALARM_API_TOKEN"
_START_TIMEOUT = 15.0


def build_app(runtime: Runtime, health_check: HealthCheck, routers: Sequence[APIRouter]) -> FastAPI:
    """``/healthz`` plus ``routers``; with ``FIREALARM_API_TOKEN`` set, all else needs the token."""
    app = FastAPI(title="firealarm daemon", docs_url=None, redoc_url=None)
    token = os.environ.get(API_TOKEN_ENV)

    @app.middleware("http")
    async def require_token(request: Request, call_next):  # type: ignore[no-untyped-def]
        if token and request.url.path != "/healthz":
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401)
        return await call_next(request)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        ok, details = health_check()
        return JSONResponse({"ok": ok, **details}, status_code=200 if ok else 503)

    for router in routers:
        app.include_router(router)
    return app


class HttpServer:
    """Serves an ASGI app on ``host:port`` from a daemon thread until :meth:`stop`."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    def start(self) -> int:
        """Start serving; the bound port. Raises if the address cannot be used."""
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                host, port = self._server.config.host, self._server.config.port
                raise FirealarmError(f"cannot serve HTTP on {host}:{port} (address in use?)")
            time.sleep(0.02)
        return self._server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop accepting requests and wait for the server thread."""
        self._server.should_exit = True
        self._thread.join(timeout=5)
