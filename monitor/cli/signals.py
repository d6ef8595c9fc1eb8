"""Commands that read signals: signals, history, and the credit-loss scenario."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor import scenario as credit
from monitor.cli.options import (
    FormatOption,
    SinceOption,
    UntilOption,
    check_range,
)
from monitor.cli.output import Format, emit, new_table, print_table
from monitor.cli.state import state
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
    app.command("signals")(list_signals)
    app.command("history")(history)
    app.command("scenario")(scenario)


def list_signals(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """The latest value of each signal and the most severe state of its rules.

    Example: firealarm signals --format json
    """
    with state(ctx).connected() as (config, connection):
        rows = latest_signals(connection, config)
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
    check_range(since, until)
    with state(ctx).connected() as (config, connection):
        require_signal(config, signal)
        rows = signal_history(connection, signal, since, until)
    emit(rows, HISTORY_COLUMNS, fmt, title=signal)


def _input_option(name: str) -> typer.models.OptionInfo:
    low, high = credit.input_bounds(name)
    option = "--" + name.replace("_", "-")
    info: typer.models.OptionInfo = typer.Option(
        option, min=low, max=high, help=credit.INPUT_HELP[name]
    )
    return info


def scenario(
    consumer_credit_bn: Annotated[
        float, _input_option("consumer_credit_bn")
    ] = credit.ScenarioInputs.consumer_credit_bn,
    knowledge_workers_m: Annotated[
        float, _input_option("knowledge_workers_m")
    ] = credit.ScenarioInputs.knowledge_workers_m,
    employed_m: Annotated[float, _input_option("employed_m")] = credit.ScenarioInputs.employed_m,
    displaced: Annotated[float, _input_option("displaced")] = credit.ScenarioInputs.displaced,
    loss_given_default: Annotated[
        float, _input_option("loss_given_default")
    ] = credit.ScenarioInputs.loss_given_default,
    home_ownership: Annotated[
        float, _input_option("home_ownership")
    ] = credit.ScenarioInputs.home_ownership,
    mortgage_share: Annotated[
        float, _input_option("mortgage_share")
    ] = credit.ScenarioInputs.mortgage_share,
    average_mortgage_usd: Annotated[
        float, _input_option("average_mortgage_usd")
    ] = credit.ScenarioInputs.average_mortgage_usd,
    mortgage_loss_rate: Annotated[
        float, _input_option("mortgage_loss_rate")
    ] = credit.ScenarioInputs.mortgage_loss_rate,
    reserves_bn: Annotated[float, _input_option("reserves_bn")] = credit.ScenarioInputs.reserves_bn,
    equity_bn: Annotated[float, _input_option("equity_bn")] = credit.ScenarioInputs.equity_bn,
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
    result = credit.run_scenario(inputs)  # the options' bounds are the model's
    rows = credit.scenario_rows(inputs, result)
    if fmt is Format.table:
        print_table(_scenario_table(rows))
    else:
        emit(rows, credit.SCENARIO_COLUMNS, fmt)


def _scenario_table(rows: list[dict[str, Any]]) -> Table:
    table = new_table(
        credit.SCENARIO_COLUMNS,
        title="credit-loss scenario (This Is Fine)",
        right={"value", "essay"},
    )
    inputs = set(credit.input_names())
    for row in rows:
        if row["quantity"] == "consumer_loss_bn":
            table.add_section()
        value, essay = (",.10g", ",.10g") if row["quantity"] in inputs else (",.1f", ",.0f")
        table.add_row(
            row["quantity"],
            format(row["value"], value),
            "" if row["essay"] is None else format(row["essay"], essay),
            row["note"],
        )
    return table
