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

A file is read in chunks of rows (:meth:`CsvFile.chunks`), so a large one never sits in memory
whole. A regular chunk (every row with its fields, plain ``YYYY-MM-DD`` dates, numbers that
parse) is converted column by column; any other chunk goes row by row, which finds and names the
bad line: both give the same values.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain, count, islice
from pathlib import Path
from typing import cast

import numpy as np
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
_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9]  # of YYYY-MM-DD
_NOT_PLAIN = re.compile(r"[^0-9.,eE+\-\r\n]")
CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class CsvSeries:
    """A parsed file: its layout, the series name its header gives, and its rows."""

    layout: str  # "yahoo" | "fred"
    series_name: str | None
    frame: (
        pd.DataFrame
    )  # columns: date (datetime64), close, optional open/high/low/adj_close/volume


@dataclass(frozen=True)
class _Layout:
    layout: str
    series_name: str | None
    columns: list[str]  # date first, then value columns in file order
    missing: tuple[str, ...]
    positive: bool


def read_csv_file(path: str | Path, max_bytes: int | None = None) -> CsvSeries:
    """Parse ``path`` whole; raise :class:`DataError` naming file and line on any bad row.

    A file larger than ``max_bytes`` (``[fetch].max_csv_bytes``) is refused before it is read.
    """
    with CsvFile(path, max_bytes) as file:
        frames = list(file.chunks())
    return CsvSeries(file.layout, file.series_name, pd.concat(frames, ignore_index=True))


class CsvFile:
    """An open CSV file: its layout read from the header, its rows parsed chunk by chunk.

    A file larger than ``max_bytes`` is refused before it is opened; a field longer than the csv
    module's limit (131,072 characters) or text that is not UTF-8 is one :class:`DataError`.
    """

    def __init__(self, path: str | Path, max_bytes: int | None = None) -> None:
        self.path = Path(path)
        try:
            _check_size(self.path, max_bytes)
            self._handle = self.path.open(newline="", encoding="utf-8-sig")
        except FileNotFoundError:
            raise DataError(f"{self.path}: file not found") from None
        except OSError as exc:
            raise DataError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
        try:
            self._reader = csv.reader(self._handle)
            self._line = 0
            head = self._head()
            self._spec, self._pending = _layout(self.path, head)
        except BaseException:
            self._handle.close()
            raise
        self.layout, self.series_name = self._spec.layout, self._spec.series_name

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def chunks(self, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """The data rows, at most ``rows`` per frame, checked as a whole file.

        A bad row raises when its chunk is reached; a duplicate date, once every row is read.
        """
        seen, rows_read = [], 0
        for frame in self._parsed(rows):
            seen.append(frame["date"].to_numpy())
            rows_read += len(frame)
            if self._spec.layout == "fred":
                frame = frame[frame["close"].notna()].reset_index(drop=True)
            if len(frame):
                yield frame
        if not rows_read:
            raise DataError(f"{self.path}: no data rows")
        days = np.sort(np.concatenate(seen))
        if (days[1:] == days[:-1]).any():
            _raise_duplicate(self.path)

    def _head(self) -> list[tuple[int, list[str]]]:
        """Up to the first three non-blank rows with their line numbers."""
        head: list[tuple[int, list[str]]] = []
        while len(head) < 3:
            row = self._next_row()
            if row is None:
                break
            if any(c.strip() for c in row):
                head.append((self._line, row))
        return head

    def _next_row(self) -> list[str] | None:
        try:
            row = next(self._reader)
        except StopIteration:
            return None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _unreadable(self.path, self._line + 1, exc) from None
        self._line += 1
        return row

    def _parsed(self, size: int) -> Iterator[pd.DataFrame]:
        if self._pending:
            yield _rows_slowly(self.path, self._pending, self._spec)
        while lines := self._lines(size):
            first = self._line + 1
            self._line += len(lines)
            if '"' in "".join(lines):  # a quoted field may span lines: the csv module decides
                self._line = first - 1
                yield from self._quoted(chain(lines, self._handle), size)
                return
            _check_field_lengths(self.path, first, lines)
            frame = _plain_chunk(lines, self._spec)
            if frame is None:
                numbered = list(zip(count(first), csv.reader(lines)))
                frame = _rows_slowly(self.path, numbered, self._spec)
            yield frame

    def _lines(self, size: int) -> list[str]:
        try:
            return list(islice(self._handle, size))
        except UnicodeDecodeError as exc:
            raise _unreadable(self.path, None, exc) from None

    def _quoted(self, lines: Iterator[str], size: int) -> Iterator[pd.DataFrame]:
        """The rest of the file read by the csv module, row by row."""
        reader = csv.reader(lines)
        while True:
            try:
                rows = list(islice(reader, size))
            except (csv.Error, UnicodeDecodeError) as exc:
                raise _unreadable(self.path, self._line + len(rows) + 1, exc) from None
            if not rows:
                return
            numbered = list(zip(count(self._line + 1), rows))
            self._line += len(rows)
            yield _rows_slowly(self.path, numbered, self._spec)


def _check_size(path: Path, max_bytes: int | None) -> None:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise DataError(
            f"{path}: {size:,} bytes is larger than [fetch].max_csv_bytes ({max_bytes:,}); "
            "raise it to import this file"
        )


def _check_field_lengths(path: Path, first: int, lines: list[str]) -> None:
    """The csv module's field limit, for lines parsed without it (plain chunks)."""
    limit = csv.field_size_limit()
    for line, text in enumerate(lines, start=first):
        if len(text) > limit and max(len(field) for field in text.split(",")) > limit:
            raise DataError(f"{path}:{line}: field larger than field limit ({limit})")


def _unreadable(path: Path, line: int | None, exc: Exception) -> DataError:
    """One line for a file the csv module or the UTF-8 decoder cannot read."""
    if isinstance(exc, UnicodeDecodeError):  # exc.start counts from a buffer, not the file
        return DataError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8")
    return DataError(f"{path}:{line}: {exc}")  # e.g. a field over csv's limit


def _layout(
    path: Path, head: list[tuple[int, list[str]]]
) -> tuple[_Layout, list[tuple[int, list[str]]]]:
    """The file's layout from its first non-blank rows, and those of them that are data."""
    if not head:
        raise DataError(f"{path}: empty file")
    header_line, header = head[0]
    first = header[0].strip().lower()
    if first == "price" and len(head) >= 3:
        return _yfinance_export(path, head), []
    if first == "date" and len(header) == 2 and header[1].strip().lower() not in _YAHOO_COLUMNS:
        return _fred(path, header), head[1:]
    if first == "date":
        return _yahoo(path, header, None), head[1:]
    if first in _FRED_DATE_COLUMNS:
        return _fred(path, header), head[1:]
    raise DataError(
        f"{path}:{header_line}: unrecognised header {header!r}: expected Yahoo's "
        "'Date,...,Close,...' or FRED's 'observation_date,SERIES'"
    )


def _yahoo(path: Path, header: list[str], series_name: str | None) -> _Layout:
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names[1:] if h not in _YAHOO_COLUMNS]
    if unknown:
        raise DataError(f"{path}:1: unknown column(s) {unknown}")
    if "close" not in names:
        raise DataError(f"{path}:1: missing column 'Close'")
    columns = ["date", *(_YAHOO_COLUMNS[h] for h in names[1:])]
    return _Layout("yahoo", series_name, columns, ("",), True)


def _yfinance_export(path: Path, head: list[tuple[int, list[str]]]) -> _Layout:
    (_, prices), (ticker_line, tickers), (_, date_row) = head[:3]
    if tickers[0].strip().lower() != "ticker" or date_row[0].strip().lower() != "date":
        raise DataError(f"{path}:{ticker_line}: expected yfinance's 'Ticker' and 'Date' rows")
    symbols = {t.strip() for t in tickers[1:] if t.strip()}
    if len(symbols) != 1:
        raise DataError(f"{path}:{ticker_line}: one ticker per file, found {sorted(symbols)}")
    return _yahoo(path, ["Date", *prices[1:]], symbols.pop())


def _fred(path: Path, header: list[str]) -> _Layout:
    if len(header) != 2 or not header[1].strip():
        raise DataError(f"{path}:1: FRED layout needs exactly 'observation_date,SERIES'")
    return _Layout("fred", header[1].strip(), ["date", "close"], (".", ""), False)


def _frame(spec: _Layout, days: np.ndarray, values: Sequence[np.ndarray]) -> pd.DataFrame:
    data = {"date": days.astype("datetime64[s]")}
    data.update(zip(spec.columns[1:], values, strict=True))
    return pd.DataFrame(data)


def _plain_chunk(lines: list[str], spec: _Layout) -> pd.DataFrame | None:
    """Unquoted lines of plain numbers and ``YYYY-MM-DD`` dates, parsed column by column.

    None when any line is otherwise (a blank line, a field too many or too few, a space, a
    letter such as ``nan``, a value out of range): the row-by-row path then finds and names it.
    pandas' parser reads a plain decimal exactly as ``float()`` does.
    """
    text = "".join(lines)
    if _NOT_PLAIN.search(text) or text.count(",") != (len(spec.columns) - 1) * len(lines):
        return None
    names = spec.columns
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=names,
            dtype={"date": str, **dict.fromkeys(names[1:], float)},
            na_values={name: list(spec.missing) for name in names[1:]},
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    days = _plain_dates(frame["date"].to_numpy(dtype=object))
    if days is None or len(frame) != len(lines):
        return None
    values = []
    for column in names[1:]:
        numbers = frame[column].to_numpy(dtype=float)
        present = numbers[~np.isnan(numbers)]  # NaN only where a missing token was
        if not np.isfinite(present).all():
            return None
        if spec.positive and column in _PRICE_COLUMNS and (present <= 0).any():
            return None
        if spec.layout == "yahoo" and column == "close" and len(present) < len(numbers):
            return None
        values.append(numbers)
    return _frame(spec, days, values)


def _plain_dates(cells: Sequence[str] | np.ndarray) -> np.ndarray | None:
    """``YYYY-MM-DD`` cells as dates, or None when any cell is otherwise (or no real date)."""
    if min(map(len, cells)) != 10 or max(map(len, cells)) != 10:
        return None
    try:
        text = np.array(cells, dtype="S10")
    except UnicodeEncodeError:
        return None
    codes = text.view(np.uint8).reshape(-1, 10)
    digits = codes[:, _DIGITS]
    if not (((digits >= 48) & (digits <= 57)).all() and (codes[:, [4, 7]] == 45).all()):
        return None
    try:
        days = text.astype("datetime64[D]")
    except ValueError:  # month 13, February 30: the row-by-row path names it
        return None
    return None if (days < np.datetime64("0001-01-01")).any() else days


def _rows_slowly(path: Path, rows: list[tuple[int, list[str]]], spec: _Layout) -> pd.DataFrame:
    """The non-blank rows parsed one by one: a bad one raises naming its line."""
    records = []
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue
        record = _record(path, line, row, spec)
        if spec.layout == "yahoo" and math.isnan(cast(float, record["close"])):
            raise DataError(f"{path}:{line}: missing Close value")
        records.append(record)
    days = np.array([r["date"] for r in records], dtype="datetime64[D]")
    values = [np.array([r[c] for r in records], dtype=float) for c in spec.columns[1:]]
    return _frame(spec, days, values)


def _record(path: Path, line: int, row: list[str], spec: _Layout) -> dict[str, object]:
    columns = spec.columns
    if len(row) != len(columns):
        raise DataError(f"{path}:{line}: expected {len(columns)} fields, found {len(row)}")
    record: dict[str, object] = {"date": parse_iso_date(path, line, row[0])}
    for column, cell in zip(columns[1:], row[1:], strict=True):
        text = cell.strip()
        if text in spec.missing:
            record[column] = math.nan
            continue
        try:
            value = float(text)
        except ValueError:
            raise DataError(f"{path}:{line}: {column} {text!r} is not a number") from None
        if not math.isfinite(value) or (spec.positive and column in _PRICE_COLUMNS and value <= 0):
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


def _raise_duplicate(path: Path) -> None:
    """Read the file again row by row to name the first repeated date and where it was first."""
    seen: dict[date, int] = {}
    with CsvFile(path) as file:
        body = chain(file._pending, zip(count(file._line + 1), csv.reader(file._handle)))
        for line, row in body:
            if not any(c.strip() for c in row):
                continue
            day = parse_iso_date(path, line, row[0])
            if day in seen:
                raise DataError(f"{path}:{line}: duplicate date {day} (first at line {seen[day]})")
            seen[day] = line


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
            frame = read_csv_file(instrument.path or "", self.max_bytes).frame
            frame = frame[frame["date"] >= pd.Timestamp(start)]
            if end is not None:
                frame = frame[frame["date"] <= pd.Timestamp(end)]
            frame = frame.assign(date=frame["date"].dt.date)  # the contract: datetime.date
            frame.insert(0, "symbol", instrument.symbol)
            frames.append(frame)
        if all(f.empty for f in frames):
            raise EmptyResponseError(f"csv: no rows since {start}")
        return normalised(pd.concat(frames, ignore_index=True))
