"""Run the app with uvicorn: in the foreground (serve, demo) or on a thread (tests, bench)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from monitor.errors import FirealarmError


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: a free one), before any process serves it.

    ``IPPROTO_TCP`` explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and
    without it every keep-alive response waits ~40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FirealarmError(f"cannot serve HTTP on {host}:{port}: {exc.strerror}") from exc
    return sock


def serve_forever(app: FastAPI, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` (see :func:`listen`) until interrupted (Ctrl-C or SIGTERM)."""
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has already shut down
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


@contextmanager
def background_server(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` on a thread for the duration of the block; yields its base URL.

    Port 0 picks a free port: the socket is bound here, so the URL is known before serving.
    """
    sock = listen(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
