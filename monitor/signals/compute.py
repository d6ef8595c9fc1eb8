"""Compute one signal from its input series: alignment, then the kind's pure function."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from monitor.config import SignalConfig
from monitor.signals import kinds
from monitor.signals.align import Dated, InputArrays, InputSeries, seen, union_dates

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
    first = None if start is None else np.datetime64(start.date(), "D")
    days, values = compute_values(
        signal, [i.arrays() for i in inputs], factors=factors, start=first, prior_max=prior_max
    )
    return pd.Series(values, index=pd.DatetimeIndex(days))


def compute_values(
    signal: SignalConfig,
    inputs: Sequence[InputArrays],
    *,
    factors: Sequence[float] | None = None,
    start: np.datetime64 | None = None,
    prior_max: float | None = None,
) -> Dated:
    """:func:`compute_signal` on arrays (what the engine runs: no pandas for most kinds)."""
    dates = union_dates([i.dated.days for i in inputs])
    with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf, then no value
        current = [seen(i, dates) for i in inputs]
        lagged = []
        if signal.kind in _LAGGED:
            lagged = [seen(i, dates, signal.window or 0) for i in inputs]
        days, values = _apply(signal, dates, current, lagged, factors, prior_max)
    keep = np.isfinite(values)
    if start is not None:
        keep &= days >= start
    return Dated(days[keep], values[keep])


def _apply(
    signal: SignalConfig,
    dates: np.ndarray,
    current: list[np.ndarray],
    lagged: list[np.ndarray],
    factors: Sequence[float] | None,
    prior_max: float | None,
) -> Dated:
    kind = signal.kind
    if kind in ("drawdown", "zscore"):  # windows over the observations: pandas' rolling
        x = pd.Series(current[0], index=pd.DatetimeIndex(dates)).dropna()
        if kind == "drawdown":
            values = kinds.drawdown(x, signal.window, prior_max)
        else:
            values = kinds.zscore(x, signal.window or 0)
        return Dated(values.index.to_numpy().astype("datetime64[D]"), values.to_numpy(float))
    if kind == "ratio":
        return Dated(dates, kinds.ratio(current[0], current[1]))
    if kind == "relative_return":
        return Dated(dates, kinds.relative_return(current[0], lagged[0], current[1], lagged[1]))
    if kind == "ratio_change":
        return Dated(dates, kinds.ratio_change(current[0], lagged[0], current[1], lagged[1]))
    if kind == "level":
        return Dated(dates, kinds.level(current[0]))
    if kind == "change":
        return Dated(dates, kinds.change(current[0], lagged[0], signal.mode))
    if kind == "formula":
        return Dated(dates, kinds.formula(current, factors or []))
    raise AssertionError(f"unhandled signal kind {kind!r}")
