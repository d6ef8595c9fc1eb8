"""Commands that read: sql (read-only SQL), serve (API and dashboard), demo, chart."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from monitor.api import create_app
from monitor.api.server import serve_forever
from monitor.cli.options import FormatOption
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.queries.sql import run_sql

err = Console(stderr=True)

HostOption = Annotated[
    str | None, typer.Option("--host", help="Interface to bind (default [server].host).")
]
PortOption = Annotated[
    int | None, typer.Option("--port", min=0, max=65535, help="Port (default [server].port).")
]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("sql")(sql)
    app.command("serve")(serve)


def sql(
    ctx: typer.Context,
    statement: Annotated[str, typer.Argument(help="One SQL statement (read-only).")],
    fmt: FormatOption = Format.table,
) -> None:
    """Run one read-only SQL statement; writes are refused by the database (exit 2).

    Example: firealarm sql "SELECT * FROM latest_signal_values" --format csv
    """
    runtime = state(ctx).runtime(migrate=False, read_only=True)
    url = runtime.config.database.url
    runtime.close()
    result = run_sql(url, statement)
    emit(result.rows, result.columns, fmt)


def serve(ctx: typer.Context, host: HostOption = None, port: PortOption = None) -> None:
    """Serve the read API and the dashboard (no scheduler, no fetching).

    Bound to 127.0.0.1 unless --host says otherwise; set FIREALARM_API_TOKEN to require
    `Authorization: Bearer <token>` on everything but /healthz.

    Example: firealarm serve --port 8787   # then open http://127.0.0.1:8787/
    """
    runtime = state(ctx).runtime(migrate=False, read_only=True)
    server = runtime.config.server
    try:
        host, port = host or server.host, server.port if port is None else port
        err.print(f"serving the dashboard on http://{host}:{port}/  (Ctrl-C stops)")
        serve_forever(create_app(runtime), host, port)
    finally:
        runtime.close()
