"""``firealarm demo``: the bundled real history in a fresh database, evaluated, on the dashboard."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from monitor.api import create_app
from monitor.api.exposure import check_exposure
from monitor.api.server import listen, serve_forever
from monitor.cli.options import PortOption
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.demo import DEMO_DATABASE, build_demo
from monitor.queries.signals import SIGNAL_COLUMNS, latest_signals
from monitor.store.database import session_scope

err = Console(stderr=True)
BACKTEST_SHOWN = 40
DEMO_COLUMNS = ["date", "rule", "state", "value", "threshold", "severity"]


def register(app: typer.Typer) -> None:
    """Add this module's command to ``app``."""
    app.command("demo")(demo)


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
            check_exposure(host)
            with listen(host, port) as sock:
                bound = sock.getsockname()[1]
                err.print(f"serving the dashboard on http://{host}:{bound}/  (Ctrl-C stops)")
                serve_forever(create_app(built.runtime), sock)
    finally:
        built.runtime.close()
