"""Render rows as a rich table, JSON (an array of objects, nothing else) or CSV on stdout."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


class Format(StrEnum):
    """Output formats every listing accepts."""

    table = "table"
    json = "json"
    csv = "csv"


STATE_STYLES = {
    "firing": "bold red",
    "pending": "yellow",
    "resolved": "green",
    "inactive": "dim",
    "dead": "bold red",
    "failed": "red",
    "sent": "green",
    "ok": "green",
}


def jsonable(value: Any) -> Any:
    """A value as JSON has it: dates as ISO strings, NaN as null."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: Format,
    *,
    title: str | None = None,
) -> None:
    """Write ``rows`` (restricted to ``columns``) to stdout in ``fmt``."""
    if fmt is Format.json:
        payload = [{c: jsonable(row.get(c)) for c in columns} for row in rows]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else jsonable(row.get(c)) for c in columns])
    else:
        Console().print(_table(rows, columns, title))


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str | None) -> Table:
    table = Table(title=title, show_lines=False)
    for column in columns:
        justify = "right" if rows and isinstance(rows[0].get(column), int | float) else "left"
        table.add_column(column, justify=justify)
    for row in rows:
        table.add_row(*(_cell(column, row.get(column)) for column in columns))
    return table


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1e6 else f"{value:,.0f}"
    text = escape(str(jsonable(value)))  # summaries may hold "[...]": text, not markup
    style = STATE_STYLES.get(text) if column in ("state", "status") else None
    return f"[{style}]{text}[/]" if style else text
