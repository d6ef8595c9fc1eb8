"""CSV files in the layouts users have: Yahoo's and FRED's exports.

Accepted layouts (the header decides):

- Yahoo: ``Date`` then any of ``Open, High, Low, Close, Adj Close, Volume``; ``Close`` is required
  (so the reduced ``Date,Close`` and ``Date,Open,High,Low,Close`` both load).
- yfinance's own ``to_csv`` of a downloaded frame: three header rows ``Price,...`` /
  ``Ticker,...`` / ``Date,...``.
- FRED: ``observation_date,SERIES`` (or the older ``DATE,SERIES``); ``.`` or an empty cell is a
  missing observation.

Dates must be ISO (``YYYY-MM-DD``, optionally with a time and offset as pandas writes them): a
date like ``01-04-1991`` is ambiguous and refused. Any bad row refuses the whole file with its
file name and line number, so nothing is half-imported.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

import pandas as pd

from monitor.config import Instrument
from monitor.errors import DataError, EmptyResponseError
from monitor.sources.base import normalised

_YAHOO_COLUMNS = {
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adj close": "adj_close",
    "volume": "volume",
}
_FRED_DATE_COLUMNS = ("observation_date", "date")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T][0-9:.]+(?:[+-]\d{2}:?\d{2}|Z)?)?$")
_PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")


@dataclass(frozen=True)
class CsvSeries:
    """A parsed file: its layout, the series name its header gives, and its rows."""

    layout: str  # "yahoo" | "fred"
    series_name: str | None
    frame: pd.DataFrame  # columns: date, close, and optional open/high/low/adj_close/volume


def read_csv_file(path: str | Path, max_bytes: int | None = None) -> CsvSeries:
    """Parse ``path``; raise :class:`DataError` naming file and line on any bad row.

    A file larger than ``max_bytes`` (``[fetch].max_csv_bytes``) is refused before it is read.
    """
    path = Path(path)
    try:
        _check_size(path, max_bytes)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                rows = list(reader)
            except csv.Error as exc:  # e.g. a field over csv's limit of 131,072 characters
                raise DataError(f"{path}:{reader.line_num}: {exc}") from None
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:  # exc.start counts from a buffer, not the file
        raise DataError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    rows_with_lines = [
        (n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)
    ]
    if not rows_with_lines:
        raise DataError(f"{path}: empty file")
    header_line, header = rows_with_lines[0]
    first = header[0].strip().lower()
    if first == "price" and len(rows_with_lines) >= 3:
        return _yfinance_export(path, rows_with_lines)
    if first == "date" and len(header) == 2 and header[1].strip().lower() not in _YAHOO_COLUMNS:
        return _fred(path, header, rows_with_lines[1:])
    if first == "date":
        return _yahoo(path, header, rows_with_lines[1:])
    if first in _FRED_DATE_COLUMNS:
        return _fred(path, header, rows_with_lines[1:])
    raise DataError(
        f"{path}:{header_line}: unrecognised header {header!r}: expected Yahoo's "
        "'Date,...,Close,...' or FRED's 'observation_date,SERIES'"
    )


def _check_size(path: Path, max_bytes: int | None) -> None:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise DataError(
            f"{path}: {size:,} bytes is larger than [fetch].max_csv_bytes ({max_bytes:,}); "
            "raise it to import this file"
        )


def _yahoo(path: Path, header: list[str], body: list[tuple[int, list[str]]]) -> CsvSeries:
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names[1:] if h not in _YAHOO_COLUMNS]
    if unknown:
        raise DataError(f"{path}:1: unknown column(s) {unknown}")
    if "close" not in names:
        raise DataError(f"{path}:1: missing column 'Close'")
    columns = ["date", *(_YAHOO_COLUMNS[h] for h in names[1:])]
    records = []
    for line, row in body:
        record = _record(path, line, row, columns)
        if math.isnan(cast(float, record["close"])):
            raise DataError(f"{path}:{line}: missing Close value")
        records.append(record)
    return CsvSeries("yahoo", None, _checked(path, records, body))


def _yfinance_export(path: Path, rows: list[tuple[int, list[str]]]) -> CsvSeries:
    (_, prices), (ticker_line, tickers), (_, date_row) = rows[:3]
    if tickers[0].strip().lower() != "ticker" or date_row[0].strip().lower() != "date":
        raise DataError(f"{path}:{ticker_line}: expected yfinance's 'Ticker' and 'Date' rows")
    symbols = {t.strip() for t in tickers[1:] if t.strip()}
    if len(symbols) != 1:
        raise DataError(f"{path}:{ticker_line}: one ticker per file, found {sorted(symbols)}")
    frame = _yahoo(path, ["Date", *prices[1:]], rows[3:]).frame
    return CsvSeries("yahoo", symbols.pop(), frame)


def _fred(path: Path, header: list[str], body: list[tuple[int, list[str]]]) -> CsvSeries:
    if len(header) != 2 or not header[1].strip():
        raise DataError(f"{path}:1: FRED layout needs exactly 'observation_date,SERIES'")
    records = [
        _record(path, line, row, ["date", "close"], missing=(".", ""), positive=False)
        for line, row in body
    ]
    frame = _checked(path, records, body)
    return CsvSeries("fred", header[1].strip(), frame[frame["close"].notna()])


def _record(
    path: Path,
    line: int,
    row: list[str],
    columns: list[str],
    missing: tuple[str, ...] = ("",),
    positive: bool = True,
) -> dict[str, object]:
    if len(row) != len(columns):
        raise DataError(f"{path}:{line}: expected {len(columns)} fields, found {len(row)}")
    record: dict[str, object] = {"date": parse_iso_date(path, line, row[0])}
    for column, cell in zip(columns[1:], row[1:], strict=True):
        text = cell.strip()
        if text in missing:
            record[column] = math.nan
            continue
        try:
            value = float(text)
        except ValueError:
            raise DataError(f"{path}:{line}: {column} {text!r} is not a number") from None
        if not math.isfinite(value) or (positive and column in _PRICE_COLUMNS and value <= 0):
            raise DataError(f"{path}:{line}: {column} {text!r} is not a positive number")
        record[column] = value
    return record


def parse_iso_date(path: Path | str, line: int, text: str) -> date:
    """An ISO date; anything else (``01-04-1991``, ``4/1/91``) is refused as ambiguous."""
    match = _ISO_DATE.match(text.strip())
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise DataError(
        f"{path}:{line}: date {text.strip()!r} is unparseable or ambiguous (use YYYY-MM-DD)"
    )


def _checked(
    path: Path, records: list[dict[str, object]], body: list[tuple[int, list[str]]]
) -> pd.DataFrame:
    seen: dict[date, int] = {}
    for (line, _), record in zip(body, records, strict=True):
        day = record["date"]
        assert isinstance(day, date)
        if day in seen:
            raise DataError(f"{path}:{line}: duplicate date {day} (first at line {seen[day]})")
        seen[day] = line
    if not records:
        raise DataError(f"{path}: no data rows")
    return pd.DataFrame.from_records(records)


class CsvSource:
    """Instruments whose ``source`` is ``csv``: the file at their ``path``, re-read each fetch."""

    name = "csv"

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """Rows of each instrument's file between ``start`` and ``end``."""
        frames = []
        for instrument in instruments:
            frame = read_csv_file(instrument.path or "", self.max_bytes).frame.copy()
            frame = frame[frame["date"] >= start]
            if end is not None:
                frame = frame[frame["date"] <= end]
            frame.insert(0, "symbol", instrument.symbol)
            frames.append(frame)
        if all(f.empty for f in frames):
            raise EmptyResponseError(f"csv: no rows since {start}")
        return normalised(pd.concat(frames, ignore_index=True))
