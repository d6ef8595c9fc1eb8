"""Commands about alerts: alerts and backtest (with its score)."""

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
from monitor.queries.score import EPISODE_COLUMNS, SCORE_COLUMNS, ScoreRequest, backtest_score
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
        list[str] | None,
        typer.Option("--rule", metavar="NAME", help="Only this rule (repeatable)."),
    ] = None,
    notifications: Annotated[
        bool,
        typer.Option(
            "--notifications", help="The grouped notifications instead (honouring inhibition)."
        ),
    ] = False,
    score: Annotated[
        bool, typer.Option("--score", help="Score each rule's episodes against the targets.")
    ] = False,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="With --score: instrument to score against (repeatable; default ^NDX and KRE).",
        ),
    ] = None,
    drawdown: Annotated[
        float | None,
        typer.Option("--drawdown", help="With --score: a fall of this % is a hit (default 10)."),
    ] = None,
    horizon: Annotated[
        int | None,
        typer.Option("--horizon", help="With --score: calendar days looked ahead (default 90)."),
    ] = None,
    episodes: Annotated[
        bool, typer.Option("--episodes", help="With --score: list each episode instead.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Replay the rules over stored signal history from an empty state; store and send nothing.

    With --score, each rule's firing episodes are scored against what the targets did next
    (definitions in the README, "Backtest scoring").

    Example: firealarm backtest --since 2020-01-01 --until 2020-12-31 --rule btc_vs_ndx

    Example: firealarm backtest --score --since 2010-01-01 --target KRE --drawdown 15

    Example: firealarm backtest --notifications --since 2023-03-01 --until 2023-03-31
    """
    check_range(since, until)
    if notifications:
        if rule or score:
            raise ConfigError("--notifications lists every rule: it takes no --rule or --score")
        with state(ctx).reading() as (config, session):
            outcomes = replay(session, config, since=since, until=until).outcomes
        rows = backtest_notifications(config, outcomes)
        emit(rows, NOTIFICATION_COLUMNS, fmt, title=f"backtest: {len(rows)} notifications")
        return
    if not score:
        if target or drawdown is not None or horizon is not None or episodes:
            raise ConfigError("--target, --drawdown, --horizon and --episodes need --score")
        with state(ctx).reading() as (config, session):
            rows = backtest(session, config, since=since, until=until, rules=rule or ())
        emit(rows, EVENT_COLUMNS, fmt, title=f"backtest: {len(rows)} transitions")
        return
    request = ScoreRequest(
        targets=target or (),
        drawdown=ScoreRequest.drawdown if drawdown is None else drawdown,
        horizon=ScoreRequest.horizon if horizon is None else horizon,
        since=since,
        until=until,
        rules=rule or (),
    )
    with state(ctx).reading() as (config, session):
        scores, listed = backtest_score(session, config, request)
    if episodes:
        emit(listed, EPISODE_COLUMNS, fmt, title=f"backtest episodes: {len(listed)}")
    else:
        title = (
            f"backtest score: a hit is a fall of {request.drawdown:g} % "
            f"within {request.horizon} days"
        )
        emit(scores, SCORE_COLUMNS, fmt, title=title)
