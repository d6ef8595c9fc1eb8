"""``firealarm run``: the daemon (scheduled fetch, evaluate, dispatch; health and metrics)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from monitor.cli.delivery import refuse_unusable_channels
from monitor.cli.state import state
from monitor.config import load_config
from monitor.daemon.jobs import default_functions
from monitor.daemon.logs import configure_logging
from monitor.daemon.service import Daemon
from monitor.runtime import Runtime
from monitor.store.database import create_db_engine


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("run")(run)


def run(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            envvar="FIREALARM_HOST",
            help="Listen address (default: server.host of the config).",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            envvar="FIREALARM_PORT",
            help="Listen port, 0 for any free one (default: server.port).",
        ),
    ] = None,
) -> None:
    """Run the daemon: fetch on schedule, evaluate, deliver; serve /healthz and /metrics.

    Logs are JSON lines on stderr. SIGTERM or Ctrl-C finishes the job in flight and exits.

    Example: FIREALARM_DATABASE_URL=postgresql+psycopg://u@db/firealarm firealarm run --host 0.0.0.0
    """
    configure_logging()
    cli = state(ctx)
    config = load_config(cli.config_path, database_url=cli.database_url)
    refuse_unusable_channels(config)
    runtime = Runtime(config, create_db_engine(config.database.url))
    stop = threading.Event()
    daemon = Daemon(
        runtime,
        default_functions(runtime, stopping=stop),
        host=host if host is not None else config.server.host,
        port=port if port is not None else config.server.port,
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    daemon.serve(stop)
