"""Compute one signal from its input series: alignment, then the kind's pure function."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from monitor.config import SignalConfig
from monitor.signals import kinds
from monitor.signals.align import InputSeries, as_of, signal_dates

_LAGGED = ("relative_return", "ratio_change", "change")


def lookback_days(signal: SignalConfig) -> int:
    """Calendar days before a date whose observations can change that date's value."""
    return signal.window or 0


def compute_signal(
    signal: SignalConfig,
    inputs: Sequence[InputSeries],
    *,
    factors: Sequence[float] | None = None,
    start: pd.Timestamp | None = None,
    prior_max: float | None = None,
) -> pd.Series:
    """The signal's values on its dates from ``start`` on; dates without a value are left out.

    ``inputs`` follow ``signal.inputs``; ``factors`` are the formula's weights times unit
    conversions; ``prior_max`` is the all-history maximum before the inputs start (drawdown).
    """
    dates = signal_dates(inputs)
    current = [as_of(series, dates) for series in inputs]
    lagged = []
    if signal.kind in _LAGGED:
        lagged = [as_of(series, dates, signal.window or 0) for series in inputs]
    values = _apply(signal, current, lagged, factors, prior_max)
    values = values.replace([np.inf, -np.inf], np.nan).dropna()
    if start is not None:
        values = values[values.index >= start]
    return values


def _apply(
    signal: SignalConfig,
    current: list[pd.Series],
    lagged: list[pd.Series],
    factors: Sequence[float] | None,
    prior_max: float | None,
) -> pd.Series:
    kind = signal.kind
    if kind == "ratio":
        return kinds.ratio(current[0], current[1])
    if kind == "relative_return":
        return kinds.relative_return(current[0], lagged[0], current[1], lagged[1])
    if kind == "ratio_change":
        return kinds.ratio_change(current[0], lagged[0], current[1], lagged[1])
    if kind == "level":
        return kinds.level(current[0])
    if kind == "change":
        return kinds.change(current[0], lagged[0], signal.mode)
    if kind == "drawdown":
        return kinds.drawdown(current[0].dropna(), signal.window, prior_max)
    if kind == "zscore":
        return kinds.zscore(current[0].dropna(), signal.window or 0)
    if kind == "formula":
        return kinds.formula(current, factors or [])
    raise AssertionError(f"unhandled signal kind {kind!r}")
