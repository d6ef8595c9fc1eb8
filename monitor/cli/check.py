"""``firealarm check [--channels]``: check the config before deploying it (exit 0 or 2)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from monitor.cli.delivery import probe_channel
from monitor.cli.state import state
from monitor.config import Config
from monitor.daemon.checks import check_config
from monitor.errors import ConfigError
from monitor.runtime import Runtime

err = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("check")(check)


def check(
    ctx: typer.Context,
    channels: Annotated[
        bool,
        typer.Option("--channels", help="Also send an alert.test through every channel."),
    ] = False,
) -> None:
    """Check the config: parse it, its rules and channels; exit 2 on a problem.

    It reads the config `run` would read, with its instruments, signals, rules, summary
    templates and cron schedules, and prints what it found, or every problem on its own line
    (exit 2). --channels then sends a test alert through each channel as notify-test does,
    through the database's outbox (exit 1 if one fails).

    Example: firealarm --config /etc/firealarm/firealarm.toml check --channels
    """
    cli = state(ctx)
    report = check_config(cli.config_path, cli.database_url)
    for problem in report.problems:
        err.print(f"error: {problem}", markup=False)
    if report.problems or report.config is None:
        raise typer.Exit(ConfigError.exit_code)
    for line in report.found:
        out.print(line, markup=False)
    if channels and not _test_channels(cli.runtime(), report.config):
        raise typer.Exit(1)


def _test_channels(runtime: Runtime, config: Config) -> bool:
    """A test alert through each channel, as notify-test sends it; whether all were sent."""
    try:
        results = [probe_channel(runtime, name) for name in config.channels]
    finally:
        runtime.close()
    if not results:
        out.print("channels: none to test")
    return all(results)
