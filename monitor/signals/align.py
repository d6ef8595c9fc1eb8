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

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class InputSeries:
    """One input of a signal: values by available date and the staleness limit in days."""

    name: str
    values: pd.Series  # float, on a sorted, unique DatetimeIndex of available dates
    limit: int


def signal_dates(inputs: Sequence[InputSeries]) -> pd.DatetimeIndex:
    """The union of the inputs' available dates, from the first date all inputs have one."""
    if any(s.values.empty for s in inputs):
        return pd.DatetimeIndex([])
    first = max(s.values.index[0] for s in inputs)
    union = inputs[0].values.index
    for series in inputs[1:]:
        union = union.union(series.values.index)
    within: pd.DatetimeIndex = union[union >= first]
    return within


def as_of(series: InputSeries, dates: pd.DatetimeIndex, lag_days: int = 0) -> pd.Series:
    """The input's value seen on each of ``dates`` minus ``lag_days`` calendar days.

    The latest observation available at or before that moment, NaN when there is none or it
    became available more than ``series.limit`` days before it.
    """
    moments = dates - pd.Timedelta(days=lag_days)
    available = series.values.index.values
    position = np.searchsorted(available, moments.values, side="right") - 1
    found = position >= 0
    safe = np.where(found, position, 0)
    values = series.values.to_numpy(dtype=float)[safe] if len(available) else np.zeros(len(dates))
    if len(available):
        age = moments.values - available[safe]
        fresh = found & (age <= np.timedelta64(series.limit, "D"))
    else:
        fresh = np.zeros(len(dates), dtype=bool)
    return pd.Series(np.where(fresh, values, np.nan), index=dates)
