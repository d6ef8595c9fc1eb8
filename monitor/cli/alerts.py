"""Commands about alerts: alerts and backtest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from monitor.cli.options import FormatOption, SinceOption, UntilOption, check_range
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.errors import ConfigError
from monitor.notify.backtest import NOTIFICATION_COLUMNS, backtest_notifications
from monitor.queries.alerts import (
    EVENT_COLUMNS,
    OPEN_COLUMNS,
    alert_events,
    open_alerts,
)
from monitor.rules.backtest import backtest, replay


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("alerts")(list_alerts)
    app.command("backtest")(run_backtest)


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
        now = datetime.now(UTC)
        rows = alert_events(session) if all_events else open_alerts(session, now=now)
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
    notifications: Annotated[
        bool,
        typer.Option(
            "--notifications", help="The grouped notifications instead (honouring inhibition)."
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Replay the rules over stored signal history from an empty state; store and send nothing.

    Example: firealarm backtest --since 2020-01-01 --until 2020-12-31 --rule btc_vs_ndx
    """
    check_range(since, until)
    if notifications:
        if rule:
            raise ConfigError("--notifications shows every rule's notifications: drop --rule")
        with state(ctx).reading() as (config, session):
            outcomes = replay(session, config, since=since, until=until).outcomes
        rows = backtest_notifications(config, outcomes)
        emit(rows, NOTIFICATION_COLUMNS, fmt, title=f"backtest: {len(rows)} notifications")
        return
    with state(ctx).reading() as (config, session):
        rows = backtest(session, config, since=since, until=until, rules=rule or ())
    emit(rows, EVENT_COLUMNS, fmt, title=f"backtest: {len(rows)} transitions")
