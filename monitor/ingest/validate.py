"""Validation of a source's rows, column by column: storable rows, rejected ones with reasons.

Bars not closed yet are dropped and counted (they come again once closed); rows with no value
at all are absent observations; anything else malformed is rejected with a reason. The checks
run on whole columns; only the rejected rows are looked at one by one, to word their reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from monitor.availability import available_dates, last_closed_day
from monitor.config import Instrument

VALUE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
ROW_COLUMNS = ("symbol", "date", "available_date", *VALUE_COLUMNS, "source", "provider")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def no_rows() -> pd.DataFrame:
    """Observation rows: :data:`ROW_COLUMNS`, dates ``datetime64``, NaN for a missing value."""
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in ROW_COLUMNS})
    frame["date"] = frame["available_date"] = pd.Series(dtype="datetime64[s]")
    frame["symbol"] = frame["source"] = frame["provider"] = pd.Series(dtype=object)
    return frame


@dataclass
class Validated:
    """Rows ready to store (:func:`no_rows`' columns), and the rows refused with their reasons."""

    rows: pd.DataFrame = field(default_factory=no_rows)
    rejected: list[tuple[str, str | None, str]] = field(default_factory=list)  # symbol, date, why
    unfinished: int = 0  # bars not closed yet: they come again once closed


def validate(
    frame: pd.DataFrame, instruments: Mapping[str, Instrument], now: datetime
) -> Validated:
    """Split a normalised source frame into storable rows and rejected ones.

    Rows are labelled with each instrument's primary provider (a fallback relabels its own).
    """
    frame = frame[frame[list(VALUE_COLUMNS)].notna().any(axis=1)].reset_index(drop=True)
    symbols = frame["symbol"].astype(str).to_numpy(dtype=object)
    codes, names = pd.factorize(symbols)
    days, is_date = _days(frame["date"])
    duplicated = frame.duplicated(subset=["symbol", "date"], keep=False).to_numpy()
    positive = np.array([instruments[s].is_price for s in names], dtype=bool)[codes]
    values, problem = {}, ~is_date | duplicated
    for column in VALUE_COLUMNS:
        numbers, missing, bad = _numbers(frame[column])
        with np.errstate(invalid="ignore"):
            if column == "volume":
                problem |= bad | (numbers < 0)
            else:
                problem |= bad | (positive & (numbers <= 0))
        if column == "close":
            problem |= missing
        values[column] = numbers
    rejected = _reasons(frame, problem, duplicated, positive)
    closed = np.zeros(len(frame), dtype=bool)
    available = np.empty(len(frame), dtype="datetime64[D]")
    for code, symbol in enumerate(names):
        instrument, mine = instruments[symbol], codes == code
        closed[mine] = days[mine] <= np.datetime64(last_closed_day(instrument.calendar, now))
        available[mine] = available_dates(instrument, days[mine])
    keep = ~problem & closed
    sources = np.array([instruments[s].source for s in names], dtype=object)
    providers = np.array([instruments[s].sources[0] for s in names], dtype=object)
    rows = pd.DataFrame(
        {
            "symbol": symbols[keep],
            "date": days[keep].astype("datetime64[s]"),
            "available_date": available[keep].astype("datetime64[s]"),
            **{column: numbers[keep] for column, numbers in values.items()},
            "source": sources[codes[keep]],
            "provider": providers[codes[keep]],
        }
    )
    return Validated(rows, rejected, int((~problem & ~closed).sum()))


def _days(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The column as ``datetime64[D]`` (NaT where not a date), and where it is a date."""
    if pd.api.types.is_datetime64_dtype(column):
        days = column.to_numpy().astype("datetime64[D]")
        return days, ~np.isnat(days)
    is_date = np.array([isinstance(v, date) for v in column], dtype=bool)
    ordinals = [
        v.toordinal() - _EPOCH_ORDINAL if ok else 0 for v, ok in zip(column, is_date, strict=True)
    ]
    days = np.array(ordinals, dtype=np.int64).astype("datetime64[D]")
    days[~is_date] = np.datetime64("NaT")
    return days, is_date


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The column as floats, where it is missing, and where it holds something not a number."""
    if column.dtype.kind in "fiu":
        numbers = column.to_numpy(dtype=float)
        missing = np.isnan(numbers)
        return numbers, missing, ~missing & ~np.isfinite(numbers)
    cells = column.to_numpy(dtype=object)
    missing = np.array([_is_missing(v) for v in cells], dtype=bool)
    ok = np.array([isinstance(v, int | float) and math.isfinite(v) for v in cells], dtype=bool)
    numbers = np.array([float(v) if good else math.nan for v, good in zip(cells, ok, strict=True)])
    return numbers, missing, ~missing & ~ok


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _reasons(
    frame: pd.DataFrame, problem: np.ndarray, duplicated: np.ndarray, positive: np.ndarray
) -> list[tuple[str, str | None, str]]:
    """Each problem row's (symbol, date, reason), in frame order."""
    rows = np.flatnonzero(problem)
    records = frame.iloc[rows].to_dict("records")
    rejected = []
    for row, record in zip(rows, records, strict=True):
        fields = {str(k): v for k, v in record.items()}
        reason = _problem(fields, bool(duplicated[row]), positive=bool(positive[row]))
        assert reason is not None
        day = record["date"]
        text = None if day is None else str(day.date() if isinstance(day, pd.Timestamp) else day)
        rejected.append((str(record["symbol"]), text, reason))
    return rejected


def _problem(record: dict[str, object], is_duplicate: bool, *, positive: bool) -> str | None:
    if not isinstance(record["date"], date):
        return f"unparseable date {record['date']!r}"
    if is_duplicate:
        return "duplicate date in one batch"
    for column in VALUE_COLUMNS:
        value = record[column]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if column == "close":
                return "missing close"
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            return f"{column} is not a number: {value!r}"
        if positive and column != "volume" and value <= 0:
            return f"non-positive {column}: {value}"
        if column == "volume" and value < 0:
            return f"negative volume: {value}"
    return None
