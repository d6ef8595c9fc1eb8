"""Several processes answering one socket (``[server] workers``), so CPU-heavy requests (a long
history missing the cache, a backtest score) run side by side on several cores. (Requests that
wait on the database hold up nothing even in one process: that work runs on its thread pool.)

uvicorn starts each worker by importing :data:`WORKER_APP`; a worker builds its app from the
config and database the parent was given, which it passes down in the environment
(``FIREALARM_CONFIG``, ``FIREALARM_DATABASE_URL``: the same variables a user may set), and
``FIREALARM_API_TOKEN`` from its own environment. Dashboard sessions live in the database, so a
browser signed in by one worker is signed in on all (:mod:`monitor.api.sessions`).
"""

from __future__ import annotations

import contextlib
import os
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from monitor.api.app import create_app
from monitor.config import DATABASE_URL_ENV, Config
from monitor.config.discovery import CONFIG_PATH_ENV, PACKAGED
from monitor.runtime import open_runtime

WORKER_APP = "monitor.api.workers:worker_app"


def worker_app() -> FastAPI:
    """One worker's app, over the config and database named by the environment."""
    runtime = open_runtime(None, None, migrate=False, read_only=True)
    try:
        return create_app(runtime)  # it opens its own read-only engine
    finally:
        runtime.close()


def serve_workers(
    config: Config, sock: socket.socket, workers: int, *, app: str = WORKER_APP
) -> None:
    """Serve the API of ``config`` on ``sock`` from ``workers`` processes until interrupted.

    ``app`` names the factory each worker calls (``module:function``, see :func:`worker_app`).
    """
    if config.source != PACKAGED:
        os.environ[CONFIG_PATH_ENV] = os.path.abspath(config.source)
    os.environ[DATABASE_URL_ENV] = config.database.url
    settings = uvicorn.Config(app, factory=True, workers=workers, log_level="warning")
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(settings, sockets=[sock]).run()
