"""Options shared by several commands, declared once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from monitor.cli.output import Format

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
SinceOption = Annotated[
    datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="First date, YYYY-MM-DD.")
]
UntilOption = Annotated[
    datetime | None, typer.Option("--until", formats=["%Y-%m-%d"], help="Last date, YYYY-MM-DD.")
]


def as_date(value: datetime | None) -> date | None:
    """The date part of a parsed ``--since``/``--until``, or None."""
    return value.date() if value else None
