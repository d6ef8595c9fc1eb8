"""Options shared by several commands, declared once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from monitor.cli.output import Format
from monitor.errors import ConfigError

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def parse_day(value: str) -> date:
    """A ``YYYY-MM-DD`` option value; anything else is a one-line usage error."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def day_option(name: str, help_text: str) -> typer.models.OptionInfo:
    """A date option parsed by :func:`parse_day`."""
    option: typer.models.OptionInfo = typer.Option(
        name, parser=parse_day, metavar="YYYY-MM-DD", help=help_text
    )
    return option


SinceOption = Annotated[date | None, day_option("--since", "First date.")]
UntilOption = Annotated[date | None, day_option("--until", "Last date.")]


def check_range(since: date | None, until: date | None) -> None:
    """Refuse ``--since`` after ``--until`` (bad usage) rather than print nothing."""
    if since and until and since > until:
        raise ConfigError(f"--since {since} is after --until {until}")


HostOption = Annotated[
    str | None,
    typer.Option(
        "--host", help="Interface to bind (default: server.host in the config, 127.0.0.1)."
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port", min=0, max=65535, help="Port (default: server.port in the config, 8787)."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers", min=1, max=64, help="Processes answering requests (default: server.workers)."
    ),
]
InsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure-no-token",
        help="Serve a non-loopback address without FIREALARM_API_TOKEN (logged as a warning).",
    ),
]
