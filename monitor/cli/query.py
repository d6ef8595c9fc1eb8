"""Commands that read: sql (read-only SQL), serve (API and dashboard), chart, demo."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from monitor.api import create_app
from monitor.api.auth import TOKEN_ENV
from monitor.api.exposure import check_exposure
from monitor.api.server import serve_forever
from monitor.cli.files import write_output
from monitor.cli.options import FormatOption, InsecureOption, SinceOption, UntilOption, check_range
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.demo import DEMO_DATABASE, build_demo
from monitor.queries.signals import SIGNAL_COLUMNS, latest_signals, require_signal
from monitor.queries.sql import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    SqlLimits,
    run_sql,
)
from monitor.store.database import session_scope

err = Console(stderr=True)
BACKTEST_SHOWN = 40
DEMO_COLUMNS = ["date", "rule", "state", "value", "threshold", "severity"]

HostOption = Annotated[
    str | None,
    typer.Option(
        "--host", help="Interface to bind (default: server.host in the config, 127.0.0.1)."
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port", min=0, max=65535, help="Port (default: server.port in the config, 8787)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("sql")(sql)
    app.command("serve")(serve)
    app.command("chart")(chart)
    app.command("demo")(demo)


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
    insecure_no_token: InsecureOption = False,
) -> None:
    """Serve the read API and the dashboard (no scheduler, no fetching).

    Bound to 127.0.0.1 unless --host says otherwise; another address needs FIREALARM_API_TOKEN
    (32 characters or more), which all but /healthz then require as `Authorization: Bearer`.

    Example: firealarm serve --port 8787   # then open http://127.0.0.1:8787/
    """
    runtime = state(ctx).runtime(migrate=False, read_only=True)
    server = runtime.config.server
    try:
        host, port = host or server.host, server.port if port is None else port
        check_exposure(host, os.environ.get(TOKEN_ENV), insecure_no_token=insecure_no_token)
        err.print(f"serving the dashboard on http://{host}:{port}/  (Ctrl-C stops)")
        serve_forever(create_app(runtime), host, port)
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
    from monitor.charts import render_signal_chart  # matplotlib only for this command

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


def demo(
    ctx: typer.Context,
    port: PortOption = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards.")
    ] = True,
) -> None:
    """Offline demo: the bundled real history, evaluated, backtested and on the dashboard.

    It loads into ./firealarm-demo.db, evaluated as of the snapshot's last date.

    The demo database is replaced on every run; nothing else is touched.

    Nothing is fetched and nothing is sent.

    Example: firealarm demo --port 8787
    """
    started = time.monotonic()
    err.print(f"loading the bundled history into {DEMO_DATABASE} (replaced on every run)…")
    built = build_demo(state(ctx).config_path, DEMO_DATABASE, now=datetime.now(UTC))
    err.print(
        f"{built.observations} observations imported, {built.signal_values} signal values "
        f"computed as of {built.as_of} (the snapshot's last date) in "
        f"{time.monotonic() - started:.1f} s",
        soft_wrap=True,
    )
    alarms = [t for t in built.transitions if t["state"] in ("firing", "resolved")]
    shown = alarms[-BACKTEST_SHOWN:]
    title = (
        f"backtest: {len(built.transitions)} transitions over the history, "
        f"the last {len(shown)} firing/resolved shown (all: firealarm backtest)"
    )
    emit(shown, DEMO_COLUMNS, Format.table, title=title)
    with session_scope(built.runtime.engine) as session:
        emit(latest_signals(session, built.runtime.config), SIGNAL_COLUMNS, Format.table)
    err.print(
        f"query it: firealarm --db sqlite:///{DEMO_DATABASE} backtest --since 2020-01-01, or\n"
        f'          firealarm --db sqlite:///{DEMO_DATABASE} sql "SELECT * FROM open_alerts"',
        soft_wrap=True,
    )
    try:
        if serve:
            host, port = built.runtime.config.server.host, port or built.runtime.config.server.port
            err.print(f"serving the dashboard on http://{host}:{port}/  (Ctrl-C stops)")
            serve_forever(create_app(built.runtime), host, port)
    finally:
        built.runtime.close()
