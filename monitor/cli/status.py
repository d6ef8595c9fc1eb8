"""``firealarm status``: one report of several tables, so ``--format`` is table or json.

It is not a listing: its JSON is one object with a key per section (each a listing, or the
delivery counts), and CSV, one table per file, is what the listings it summarises give.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from monitor.cli.output import (
    STATE_STYLES,
    jsonable,
    new_table,
    print_table,
    stdout_console,
    write_json,
)
from monitor.cli.state import state
from monitor.config import Config
from monitor.queries.alerts import open_alerts
from monitor.queries.deliveries import delivery_health
from monitor.queries.jobs import job_runs
from monitor.queries.prices import latest_fetch_runs
from monitor.queries.signals import latest_signals
from monitor.sanitize import printable


class ReportFormat(StrEnum):
    """Formats of a report made of several tables."""

    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("status")(status)


def status(
    ctx: typer.Context,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="Output format: json is one object with a key per section. For CSV use the "
            "listings: signals, alerts, deliveries.",
        ),
    ] = ReportFormat.table,
) -> None:
    """One screen: the config read, fetches, signals, open alerts, deliveries and daemon jobs.

    That is: which config file was read and why, the last fetch per source, each signal's latest
    value and rule state, open alerts, queued and dead deliveries, and the daemon's jobs (last
    run, next run, runner).

    Example: firealarm status --format json
    """
    with state(ctx).reading() as (config, session):
        report = {
            "config": config.found_by or config.source,
            "sources": latest_fetch_runs(session),
            "signals": _signal_rows(config, session),
            "alerts": open_alerts(session, now=datetime.now(UTC)),
            "deliveries": delivery_health(session, datetime.now(UTC), list(config.channels)),
            "daemon": job_runs(session),
        }
    if fmt is ReportFormat.json:
        write_json(report)
    else:
        _print_status(report)


def _signal_rows(config: Config, session: Session) -> list[dict[str, Any]]:
    rows = latest_signals(session, config)
    for row in rows:
        row["signal"] = row.pop("id")
        row["rules"] = ", ".join(r.name for r in config.rules if r.signal == row["signal"])
    return rows


def _print_status(report: dict[str, Any]) -> None:
    console = stdout_console()
    console.print(f"config: {escape(report['config'])}", soft_wrap=True)
    sources = new_table(
        ("source", "started_at", "status", "rows", "error"), title="last fetch per source"
    )
    for run in report["sources"]:
        sources.add_row(
            *(_styled(c, run.get(c)) for c in ("source", "started_at", "status")),
            str(run["rows"]),
            _styled("error", run["error"]),
        )
    print_table(sources)
    signals = new_table(
        ("signal", "date", "value", "rules", "state"), title="signals", right={"value"}
    )
    for row in report["signals"]:
        value = "" if row["value"] is None else f"{row['value']:,.2f}"
        signals.add_row(
            _styled("signal", row["signal"]),
            _styled("date", row["date"]),
            value,
            _styled("rules", row["rules"]),
            _styled("state", row["state"]),
        )
    print_table(signals)
    if report["alerts"]:
        alerts = new_table(
            ("rule", "state", "since", "value", "severity", "summary", "silenced", "acknowledged"),
            title="open alerts",
        )
        for row in report["alerts"]:
            alerts.add_row(
                *(_styled(c, row.get(c)) for c in ("rule", "state", "since")),
                f"{row['value']:,.2f}",
                *(_styled(c, row[c]) for c in ("severity", "summary", "silenced", "acknowledged")),
            )
        print_table(alerts)
    else:
        console.print("open alerts: none")
    _print_deliveries(console, report["deliveries"])
    _print_jobs(console, report["daemon"])


def _print_deliveries(console: Console, health: dict[str, Any]) -> None:
    def alarming(count: int, what: str) -> str:
        return f"[bold red]{count} {what}[/]" if count else f"0 {what}"

    console.print(
        f"deliveries: {health['queued']} queued, {alarming(health['overdue'], 'overdue')}, "
        f"{alarming(health['dead'], 'dead')}"
    )
    for row in health["disabled_channels"]:
        console.print(
            f"[bold red]channel {escape(row['channel'])} disabled[/] since "
            f"{jsonable(row['disabled_at'])}: {escape(row['reason'] or '')} "
            f"(`firealarm redeliver --channel {escape(row['channel'])}` re-enables it)"
        )


def _print_jobs(console: Console, jobs: list[dict[str, Any]]) -> None:
    if not jobs:
        console.print("daemon: no job has run yet (start it with `firealarm run`)")
        return
    columns = ("job", "last_status", "last_success_at", "next_run_at", "runner", "last_error")
    headers = [c.replace("last_", "").replace("_at", "") for c in columns]
    table = new_table(headers, title="daemon jobs")
    for job in jobs:
        table.add_row(*(_styled("status" if c == "last_status" else c, job[c]) for c in columns))
    print_table(table)


def _styled(column: str, value: Any) -> str:
    """A cell as rich markup: states coloured, any text from users or errors escaped."""
    if value is None:
        return ""
    text = printable(str(jsonable(value)))  # errors stored before they were cleaned too
    style = STATE_STYLES.get(text) if column in ("state", "status") else None
    return f"[{style}]{text}[/]" if style else escape(text)
