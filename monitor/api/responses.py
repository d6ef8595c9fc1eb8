"""Listings as JSON (an array of objects) or CSV, chosen by ``?format=`` or the Accept header."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import Query, Request, Response

from monitor.sanitize import csv_cell


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"


FormatQuery = Annotated[
    OutputFormat | None,
    Query(alias="format", description="json (default) or csv; `Accept: text/csv` also works"),
]


def _plain(value: Any) -> Any:
    """A value as CSV shows it: ISO dates and times, NaN as empty."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def wants_csv(request: Request, fmt: OutputFormat | None) -> bool:
    """CSV when asked by ``?format=csv``, or by an Accept header preferring it."""
    if fmt is not None:
        return fmt is OutputFormat.csv
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def json_response(payload: Any, status: int = 200) -> Response:
    """JSON by orjson, without per-row validation: a history is thousands of rows.

    Dates and times become ISO strings and NaN becomes null.
    """
    body = orjson.dumps(payload)
    return Response(body, status_code=status, media_type="application/json")


def table_response(
    request: Request,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: OutputFormat | None,
    *,
    name: str,
) -> Response:
    """``rows`` restricted to ``columns``, as JSON or CSV (a download named ``name``.csv)."""
    if wants_csv(request, fmt):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                ["" if row.get(c) is None else csv_cell(_plain(row.get(c))) for c in columns]
            )
        headers = {"Content-Disposition": f'inline; filename="{_safe(name)}.csv"'}
        return Response(buffer.getvalue(), media_type="text/csv", headers=headers)
    if rows and list(rows[0]) == list(columns):
        return json_response(rows)  # already the documented shape: skip a copy per row
    return json_response([{c: row.get(c) for c in columns} for row in rows])


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
