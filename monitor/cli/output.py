"""Render rows as a rich table, JSON (an array of objects, nothing else) or CSV on stdout.

Values are never cut short: in a terminal a table folds long cells onto more lines, and piped
or redirected it keeps its full width. A reader that goes away (``| head``) ends the command
quietly with status 0, as ``cat`` and ``grep`` do.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.sanitize import csv_cell, printable

# Wide enough for any table: piped output is read by programs, not wrapped by a terminal.
PIPE_WIDTH = 100_000
# A terminal narrower than this per column gets the table this wide (the terminal wraps its
# lines), so no column is squeezed to nothing.
NARROWEST_COLUMN = 7


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
    "superseded": "dim",
    "ok": "green",
}


def jsonable(value: Any) -> Any:
    """A value as JSON has it: dates as ISO strings, NaN as null, bytes as ``\\x`` + hex.

    Decimals (PostgreSQL's ``numeric``) become numbers; other types ``firealarm sql`` can meet
    (intervals, UUIDs, addresses) are left for :func:`_json_default` to write as text.
    """
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()  # as psql shows a bytea
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    return value


def _json_default(value: Any) -> Any:
    converted = jsonable(value)
    return str(value) if converted is value else converted


def stdout_closed() -> NoReturn:
    """Stop quietly (status 0) because the reader of stdout has gone away."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # what is still buffered is flushed there at exit
    raise typer.Exit(0)


class _Stdout(Console):
    def on_broken_pipe(self) -> None:
        stdout_closed()


def stdout_console() -> Console:
    """A console on stdout: a terminal's width in a terminal, full width when piped."""
    console = _Stdout()
    return console if console.is_terminal else _Stdout(width=PIPE_WIDTH)


def print_table(table: Table) -> None:
    """Print ``table`` on stdout, folding cells to fit a terminal, never emptying a column."""
    console = stdout_console()
    narrowest = len(table.columns) * NARROWEST_COLUMN + 1
    if console.width < narrowest:
        console = _Stdout(width=narrowest)
    console.print(table)


@contextmanager
def writing_stdout() -> Iterator[None]:
    """Write to stdout, ending quietly if the reader has gone away."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_closed()


def write_json(payload: Any) -> None:
    """``payload`` as indented JSON on stdout (dates as ISO strings)."""
    with writing_stdout():
        sys.stdout.write(json.dumps(payload, default=_json_default, indent=2) + "\n")


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: Format,
    *,
    title: str | None = None,
) -> None:
    """Write ``rows`` (restricted to ``columns``) to stdout in ``fmt``."""
    if fmt is Format.json:
        write_json([{c: jsonable(row.get(c)) for c in columns} for row in rows])
    elif fmt is Format.csv:
        with writing_stdout():
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(
                    ["" if row.get(c) is None else csv_cell(jsonable(row.get(c))) for c in columns]
                )
    else:
        print_table(_table(rows, columns, title))


def new_table(
    columns: Sequence[str], *, title: str | None = None, right: Collection[str] = ()
) -> Table:
    """A table whose cells fold onto more lines rather than end in an ellipsis."""
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left", overflow="fold")
    return table


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str | None) -> Table:
    numeric = {c for c in columns if rows and isinstance(rows[0].get(c), int | float)}
    table = new_table(columns, title=title, right=numeric)
    for row in rows:
        table.add_row(*(_cell(column, row.get(column)) for column in columns))
    return table


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1e6 else f"{value:,.0f}"
    # Summaries may hold "[...]" (text, not markup); stored text may hold terminal escapes.
    text = escape(printable(str(jsonable(value))))
    style = STATE_STYLES.get(text) if column in ("state", "status") else None
    return f"[{style}]{text}[/]" if style else text
