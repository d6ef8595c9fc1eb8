"""Commands over signals: evaluate, signals, history, and the credit-loss scenario."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from monitor import scenario as credit
from monitor.cli.options import FormatOption, SinceOption, UntilOption, as_date
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.errors import ConfigError
from monitor.pipeline import evaluate as run_evaluation
from monitor.queries.signals import (
    HISTORY_COLUMNS,
    SIGNAL_COLUMNS,
    latest_signals,
    require_signal,
    signal_history,
)

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("evaluate")(evaluate)
    app.command("signals")(list_signals)
    app.command("history")(history)
    app.command("scenario")(scenario)


def evaluate(
    ctx: typer.Context,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Use only data available by this date (default: today, UTC).",
        ),
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
        report = run_evaluation(runtime, as_of=as_of.date() if as_of else None, full=full)
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


def list_signals(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """The latest value of each signal and the most severe state of its rules.

    Example: firealarm signals --format json
    """
    with state(ctx).reading() as (config, session):
        rows = latest_signals(session, config)
    emit(rows, SIGNAL_COLUMNS, fmt, title="signals")


def history(
    ctx: typer.Context,
    signal: Annotated[str, typer.Argument(help="Signal id, e.g. btc_vs_ndx.")],
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Stored values of one signal, oldest first.

    Example: firealarm history btc_vs_ndx --since 2025-01-01 --format json
    """
    with state(ctx).reading() as (config, session):
        require_signal(config, signal)
        rows = signal_history(session, signal, as_date(since), as_date(until))
    emit(rows, HISTORY_COLUMNS, fmt, title=signal)


def scenario(
    consumer_credit_bn: Annotated[
        float, typer.Option("--consumer-credit-bn", help=credit.INPUT_HELP["consumer_credit_bn"])
    ] = credit.ScenarioInputs.consumer_credit_bn,
    knowledge_workers_m: Annotated[
        float,
        typer.Option("--knowledge-workers-m", help=credit.INPUT_HELP["knowledge_workers_m"]),
    ] = credit.ScenarioInputs.knowledge_workers_m,
    employed_m: Annotated[
        float, typer.Option("--employed-m", help=credit.INPUT_HELP["employed_m"])
    ] = credit.ScenarioInputs.employed_m,
    displaced: Annotated[
        float, typer.Option("--displaced", help=credit.INPUT_HELP["displaced"])
    ] = credit.ScenarioInputs.displaced,
    loss_given_default: Annotated[
        float,
        typer.Option("--loss-given-default", help=credit.INPUT_HELP["loss_given_default"]),
    ] = credit.ScenarioInputs.loss_given_default,
    home_ownership: Annotated[
        float, typer.Option("--home-ownership", help=credit.INPUT_HELP["home_ownership"])
    ] = credit.ScenarioInputs.home_ownership,
    mortgage_share: Annotated[
        float, typer.Option("--mortgage-share", help=credit.INPUT_HELP["mortgage_share"])
    ] = credit.ScenarioInputs.mortgage_share,
    average_mortgage_usd: Annotated[
        float,
        typer.Option("--average-mortgage-usd", help=credit.INPUT_HELP["average_mortgage_usd"]),
    ] = credit.ScenarioInputs.average_mortgage_usd,
    mortgage_loss_rate: Annotated[
        float,
        typer.Option("--mortgage-loss-rate", help=credit.INPUT_HELP["mortgage_loss_rate"]),
    ] = credit.ScenarioInputs.mortgage_loss_rate,
    reserves_bn: Annotated[
        float, typer.Option("--reserves-bn", help=credit.INPUT_HELP["reserves_bn"])
    ] = credit.ScenarioInputs.reserves_bn,
    equity_bn: Annotated[
        float, typer.Option("--equity-bn", help=credit.INPUT_HELP["equity_bn"])
    ] = credit.ScenarioInputs.equity_bn,
    fmt: FormatOption = Format.table,
) -> None:
    """The essay's credit-loss model: consumer and mortgage losses and the bank write-down.

    Defaults reproduce the essay ($330bn, $227bn, ~13%); change any input to test it.

    Example: firealarm scenario --displaced 0.3 --format json
    """
    inputs = credit.ScenarioInputs(
        consumer_credit_bn=consumer_credit_bn,
        knowledge_workers_m=knowledge_workers_m,
        employed_m=employed_m,
        displaced=displaced,
        loss_given_default=loss_given_default,
        home_ownership=home_ownership,
        mortgage_share=mortgage_share,
        average_mortgage_usd=average_mortgage_usd,
        mortgage_loss_rate=mortgage_loss_rate,
        reserves_bn=reserves_bn,
        equity_bn=equity_bn,
    )
    try:
        result = credit.run_scenario(inputs)
    except ValueError as exc:
        raise ConfigError(f"scenario: {exc}") from None
    record = credit.scenario_record(inputs, result)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(record, indent=2) + "\n")
    elif fmt is Format.csv:
        emit([record], list(record), fmt)
    else:
        Console().print(_scenario_table(inputs, result))


def _scenario_table(inputs: credit.ScenarioInputs, result: credit.ScenarioResult) -> Table:
    table = Table(title="credit-loss scenario (This Is Fine)")
    for column in ("quantity", "value", "essay", "note"):
        table.add_column(column, justify="right" if column in ("value", "essay") else "left")
    for name in credit.input_names():
        essay = credit.ESSAY_INPUTS[name]
        table.add_row(
            name,
            f"{getattr(inputs, name):,.10g}",
            "" if essay is None else f"{essay:,.10g}",
            credit.INPUT_LABELS.get(name, ""),
        )
    table.add_section()
    table.add_row(
        "consumer_loss_bn",
        f"{result.consumer_loss_bn:,.1f}",
        f"{result.essay_consumer_loss_bn:,.0f}",
        "",
    )
    table.add_row(
        "mortgage_loss_bn",
        f"{result.mortgage_loss_bn:,.1f}",
        f"{result.essay_mortgage_loss_bn:,.0f}",
        "",
    )
    table.add_row("total_loss_bn", f"{result.total_loss_bn:,.1f}", "", "")
    table.add_row(
        "write_down_pct",
        f"{result.write_down_pct:,.1f}",
        f"{result.essay_write_down_pct:,.0f}",
        "(losses - reserves) / equity",
    )
    return table
