"""The daemon's HTTP server: uvicorn in a background thread, stopped with the daemon.

It serves the read API's app (``monitor.api.app.create_app``) with the daemon's health check
and ``/metrics`` router plugged in.
"""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

from monitor.errors import FirealarmError

_START_TIMEOUT = 15.0


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
        bound: int = self._server.servers[0].sockets[0].getsockname()[1]
        return bound

    def stop(self) -> None:
        """Stop accepting requests and wait for the server thread."""
        self._server.should_exit = True
        self._thread.join(timeout=5)
