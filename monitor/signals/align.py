"""Point-in-time alignment: which value of each input a signal sees on each date.

Input series are indexed by *available date* (the date an observation became usable). A signal
has a value on every available date of any of its inputs, from the first date on which all
inputs have one. Each input contributes its latest observation available at or before that date
(an as-of join, never a later value), or nothing if that observation became available longer
ago than the input's staleness limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import NamedTuple

import numpy as np
import pandas as pd

_NO_DAYS = np.array([], dtype="datetime64[D]")


class Dated(NamedTuple):
    """Values by date as arrays: ``days`` (``datetime64[D]``, sorted, unique) and floats."""

    days: np.ndarray
    values: np.ndarray


class InputArrays(NamedTuple):
    """One input of a signal as arrays (what the engine reads): values by available date and
    the staleness limit in days."""

    dated: Dated
    limit: int


@dataclass(frozen=True)
class InputSeries:
    """One input of a signal: values by available date and the staleness limit in days."""

    name: str
    values: pd.Series  # float, on a sorted, unique DatetimeIndex of available dates
    limit: int

    def arrays(self) -> InputArrays:
        """The same input as arrays."""
        days = self.values.index.to_numpy().astype("datetime64[D]")
        return InputArrays(Dated(days, self.values.to_numpy(dtype=float)), self.limit)


def signal_dates(inputs: Sequence[InputSeries]) -> pd.DatetimeIndex:
    """The union of the inputs' available dates, from the first date all inputs have one."""
    return pd.DatetimeIndex(union_dates([s.arrays().dated.days for s in inputs]))


def union_dates(days: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`signal_dates` on ``datetime64[D]`` arrays."""
    if not days or any(len(d) == 0 for d in days):
        return _NO_DAYS
    union: np.ndarray = reduce(np.union1d, days)
    return union[np.searchsorted(union, max(d[0] for d in days)) :]


def as_of(series: InputSeries, dates: pd.DatetimeIndex, lag_days: int = 0) -> pd.Series:
    """The input's value seen on each of ``dates`` minus ``lag_days`` calendar days.

    The latest observation available at or before that moment, NaN when there is none or it
    became available more than ``series.limit`` days before it.
    """
    days = dates.to_numpy().astype("datetime64[D]")
    return pd.Series(seen(series.arrays(), days, lag_days), index=dates)


def seen(series: InputArrays, dates: np.ndarray, lag_days: int = 0) -> np.ndarray:
    """:func:`as_of` on arrays: ``dates`` are ``datetime64[D]``."""
    available, values = series.dated
    if not len(available):
        return np.full(len(dates), np.nan)
    moments = dates - np.timedelta64(lag_days, "D")
    position = np.searchsorted(available, moments, side="right") - 1
    safe = np.maximum(position, 0)
    fresh = (position >= 0) & (moments - available[safe] <= np.timedelta64(series.limit, "D"))
    found: np.ndarray = np.where(fresh, values[safe], np.nan)
    return found
