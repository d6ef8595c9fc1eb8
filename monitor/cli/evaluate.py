"""``firealarm evaluate``: compute signals and evaluate the rules over the stored data."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from monitor.cli.options import day_option
from monitor.cli.state import state
from monitor.evaluation import evaluate as run_evaluation

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("evaluate")(evaluate)


def evaluate(
    ctx: typer.Context,
    as_of: Annotated[
        date | None,
        day_option("--as-of", "Use only data available by this date (default: today, UTC)."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Recompute all history (new data and config edits need no --full)."
        ),
    ] = False,
) -> None:
    """Compute every signal from the stored observations, then evaluate the alert rules.

    Only dates that can have changed are recomputed unless --full is given.

    Example: firealarm evaluate --as-of 2025-03-31
    """
    runtime = state(ctx).runtime()
    try:
        report = run_evaluation(runtime, as_of=as_of, full=full)
    finally:
        runtime.close()
    for item in report.signals:
        span = "all history" if item.since is None else f"from {item.since}"
        err.print(
            f"{item.signal}: {span}, {item.written} written, {item.deleted} removed, "
            f"latest {item.latest or '-'}"
        )
    alerts = report.alerts
    err.print(f"alerts: {alerts.events} transitions, {alerts.deliveries} deliveries queued")
