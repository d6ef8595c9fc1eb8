"""Commands that read: sql (read-only SQL), serve (API and dashboard), chart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from monitor.api import create_app
from monitor.api.exposure import check_exposure, warn_insecure
from monitor.api.server import listen, serve_forever
from monitor.api.workers import serve_workers
from monitor.cli.files import write_output
from monitor.cli.options import (
    FormatOption,
    HostOption,
    InsecureOption,
    PortOption,
    SinceOption,
    UntilOption,
    WorkersOption,
    check_range,
)
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.queries.signals import require_signal
from monitor.queries.sql import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    SqlLimits,
    run_sql,
)

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("sql")(sql)
    app.command("serve")(serve)
    app.command("chart")(chart)


def sql(
    ctx: typer.Context,
    statement: Annotated[str, typer.Argument(help="One SQL statement (read-only).")],
    fmt: FormatOption = Format.table,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.001, help="Seconds the statement may run.")
    ] = DEFAULT_TIMEOUT,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Most rows it may return.")
    ] = DEFAULT_MAX_ROWS,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Most bytes of values it may return.")
    ] = DEFAULT_MAX_BYTES,
) -> None:
    """Run one read-only SQL statement; writes are refused by the database (exit 2).

    On PostgreSQL it runs only as a role that cannot reach the server's files or programs
    (see `firealarm db create-reader`). Past --timeout, --max-rows or --max-bytes it stops
    with exit status 1.

    Example: firealarm sql "SELECT * FROM latest_signal_values" --format csv
    """
    runtime = state(ctx).runtime(migrate=False, read_only=True)
    url = runtime.config.database.url
    runtime.close()
    result = run_sql(url, statement, SqlLimits(timeout, max_rows, max_bytes))
    emit(result.rows, result.columns, fmt)


def serve(
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
    workers: WorkersOption = None,
    insecure_no_token: InsecureOption = False,
) -> None:
    """Serve the read API and the dashboard (no scheduler, no fetching).

    Bound to 127.0.0.1 unless --host says otherwise; another address needs FIREALARM_API_TOKEN
    (32 characters or more), which all but /healthz then require as `Authorization: Bearer`.
    --workers N answers from N processes, so long requests run side by side.

    Example: firealarm serve --port 8787   # then open http://127.0.0.1:8787/
    """
    runtime = state(ctx).runtime(migrate=False, read_only=True)
    server = runtime.config.server
    try:
        host, port = host or server.host, server.port if port is None else port
        workers = workers or server.workers
        if check_exposure(host, insecure_no_token=insecure_no_token):
            warn_insecure(host)
        with listen(host, port) as sock:
            bound = sock.getsockname()[1]
            processes = f", {workers} processes" if workers > 1 else ""
            err.print(f"serving the dashboard on http://{host}:{bound}/{processes}  (Ctrl-C stops)")
            if workers > 1:
                serve_workers(runtime.config, sock, workers)
            else:
                serve_forever(create_app(runtime), sock)
    finally:
        runtime.close()


def chart(
    ctx: typer.Context,
    signal: Annotated[str, typer.Argument(help="Signal id, e.g. btc_vs_ndx.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG file to write.")],
    since: SinceOption = None,
    until: UntilOption = None,
    inputs: Annotated[
        bool, typer.Option("--inputs/--no-inputs", help="Add the inputs, rebased to 100.")
    ] = True,
) -> None:
    """Draw a signal with its thresholds and firing periods (and its inputs) as a PNG.

    Example: firealarm chart btc_vs_ndx -o btc_vs_ndx.png --since 2024-01-01
    """
    from monitor.charts.data import render_signal_chart  # matplotlib only for this command

    check_range(since, until)
    with state(ctx).reading(read_only=True) as (config, session):
        require_signal(config, signal)
        png = render_signal_chart(
            session,
            config,
            signal,
            since=since,
            until=until,
            show_inputs=inputs,
        )
    write_output(output, png)
    err.print(f"wrote {output}")
