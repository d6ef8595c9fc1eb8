"""``firealarm check [--channels]``: check the config before deploying it (exit 0 or 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer
from rich.console import Console

from monitor.checks import check_config
from monitor.cli.state import state
from monitor.config import Config
from monitor.delivery.replay import notify_test
from monitor.errors import ConfigError

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
    (exit 2). --channels then sends a test through each channel (exit 1 if one fails).

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
    if channels and not _test_channels(report.config):
        raise typer.Exit(1)


def _test_channels(config: Config) -> bool:
    """Send an alert.test through each channel; whether every one was accepted."""
    if not config.channels:
        out.print("channels: none to test")
        return True
    ok = True
    with httpx.Client() as client:
        for name in config.channels:
            _, result = notify_test(config, name, client, datetime.now(UTC))
            code = f" {result.status_code}" if result.status_code is not None else ""
            line = f"channel {name}: {result.outcome}{code} in {result.duration_ms:.0f} ms"
            out.print(line + ("" if result.ok else f": {result.error}"), markup=False)
            ok = ok and result.ok
    return ok
