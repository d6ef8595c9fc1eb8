"""Commands about alerts: alerts, backtest, status."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from monitor.cli.options import FormatOption, SinceOption, UntilOption, check_range
from monitor.cli.output import STATE_STYLES, Format, emit, jsonable
from monitor.cli.state import state
from monitor.config import Config
from monitor.errors import ConfigError
from monitor.queries.alerts import (
    EVENT_COLUMNS,
    OPEN_COLUMNS,
    alert_events,
    delivery_counts,
    open_alerts,
)
from monitor.queries.jobs import job_runs
from monitor.queries.prices import latest_fetch_runs
from monitor.queries.signals import latest_signals
from monitor.rules.backtest import backtest


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("alerts")(list_alerts)
    app.command("backtest")(run_backtest)
    app.command("status")(status)


def list_alerts(
    ctx: typer.Context,
    all_events: Annotated[
        bool, typer.Option("--all", help="Every stored transition, not just open alerts.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Open alerts (pending or firing), or with --all every stored transition.

    Example: firealarm alerts --all --format json
    """
    with state(ctx).reading() as (_, session):
        rows = alert_events(session) if all_events else open_alerts(session)
    columns = EVENT_COLUMNS if all_events else OPEN_COLUMNS
    if fmt is Format.json:  # JSON carries every field; tables and CSV the readable ones
        columns = list(rows[0]) if rows else columns
    emit(rows, columns, fmt, title="alert events" if all_events else "open alerts")


def run_backtest(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule's transitions (repeatable).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Replay the rules over stored signal history from an empty state; store and send nothing.

    Example: firealarm backtest --since 2020-01-01 --until 2020-12-31 --rule btc_vs_ndx
    """
    check_range(since, until)
    with state(ctx).reading() as (config, session):
        _check_rules(config, rule or [])
        rows = backtest(session, config, since=since, until=until, rules=rule or ())
    emit(rows, EVENT_COLUMNS, fmt, title=f"backtest: {len(rows)} transitions")


def _check_rules(config: Config, names: list[str]) -> None:
    known = [r.name for r in config.rules]
    if unknown := [name for name in names if name not in known]:
        raise ConfigError(
            f"--rule: unknown rule(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


def status(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """One screen: last fetch per source, each signal's latest value and rule state, open
    alerts, queued and dead deliveries, and the daemon's jobs (last run, next run, runner).

    Example: firealarm status
    """
    with state(ctx).reading() as (config, session):
        report = {
            "sources": latest_fetch_runs(session),
            "signals": _signal_rows(config, session),
            "alerts": open_alerts(session),
            "deliveries": delivery_counts(session),
            "daemon": job_runs(session),
        }
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report, default=jsonable, indent=2) + "\n")
    else:
        _print_status(report)


def _signal_rows(config: Config, session: Session) -> list[dict[str, Any]]:
    rows = latest_signals(session, config)
    for row in rows:
        row["signal"] = row.pop("id")
        row["rules"] = ", ".join(r.name for r in config.rules if r.signal == row["signal"])
    return rows


def _print_status(report: dict[str, Any]) -> None:
    console = Console()
    sources = Table(title="last fetch per source")
    for column in ("source", "started_at", "status", "rows", "error"):
        sources.add_column(column)
    for run in report["sources"]:
        sources.add_row(
            *(_styled(c, run.get(c)) for c in ("source", "started_at", "status")),
            str(run["rows"]),
            _styled("error", run["error"]),
        )
    console.print(sources)
    signals = Table(title="signals")
    for column in ("signal", "date", "value", "rules", "state"):
        signals.add_column(column, justify="right" if column == "value" else "left")
    for row in report["signals"]:
        value = "" if row["value"] is None else f"{row['value']:,.2f}"
        signals.add_row(
            _styled("signal", row["signal"]),
            _styled("date", row["date"]),
            value,
            _styled("rules", row["rules"]),
            _styled("state", row["state"]),
        )
    console.print(signals)
    if report["alerts"]:
        alerts = Table(title="open alerts")
        for column in ("rule", "state", "since", "value", "severity", "summary"):
            alerts.add_column(column)
        for row in report["alerts"]:
            alerts.add_row(
                *(_styled(c, row.get(c)) for c in ("rule", "state", "since")),
                f"{row['value']:,.2f}",
                _styled("severity", row["severity"]),
                _styled("summary", row["summary"]),
            )
        console.print(alerts)
    else:
        console.print("open alerts: none")
    counts = report["deliveries"]
    dead = f"[bold red]{counts['dead']} dead[/]" if counts["dead"] else "0 dead"
    console.print(f"deliveries: {counts['queued']} queued, {dead}")
    _print_jobs(console, report["daemon"])


def _print_jobs(console: Console, jobs: list[dict[str, Any]]) -> None:
    if not jobs:
        console.print("daemon: no job has run yet (start it with `firealarm run`)")
        return
    table = Table(title="daemon jobs")
    columns = ("job", "last_status", "last_success_at", "next_run_at", "runner", "last_error")
    for column in columns:
        table.add_column(column.replace("last_", "").replace("_at", ""))
    for job in jobs:
        table.add_row(*(_styled("status" if c == "last_status" else c, job[c]) for c in columns))
    console.print(table)


def _styled(column: str, value: Any) -> str:
    """A cell as rich markup: states coloured, any text from users or errors escaped."""
    if value is None:
        return ""
    text = str(jsonable(value))
    style = STATE_STYLES.get(text) if column in ("state", "status") else None
    return f"[{style}]{text}[/]" if style else escape(text)
