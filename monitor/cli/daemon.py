"""``firealarm run``: the daemon (scheduled fetch, evaluate, dispatch; health and metrics)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from monitor.api.exposure import check_exposure, warn_insecure
from monitor.cli.options import InsecureOption
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
    insecure_no_token: InsecureOption = False,
) -> None:
    """Run the daemon: fetch on schedule, evaluate, deliver; serve /healthz and /metrics.

    Logs are JSON lines on stderr. SIGTERM or Ctrl-C finishes the job in flight and exits.
    A --host other than loopback needs FIREALARM_API_TOKEN (or --insecure-no-token).

    Example: FIREALARM_DATABASE_URL=postgresql+psycopg://u@db/firealarm firealarm run --host 0.0.0.0
    """
    cli = state(ctx)
    config = load_config(cli.config_path, database_url=cli.database_url)
    host = host if host is not None else config.server.host
    insecure = check_exposure(host, insecure_no_token=insecure_no_token)  # before any set-up
    configure_logging()
    if insecure:
        warn_insecure(host)
    runtime = Runtime(config, create_db_engine(config.database.url))
    stop = threading.Event()
    daemon = Daemon(
        runtime,
        default_functions(runtime, stopping=stop),
        host=host,
        port=port if port is not None else config.server.port,
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    daemon.serve(stop)
