"""The signal kinds of DESIGN.md section 2 as small pure functions over aligned series.

Every function takes float arrays already aligned on the signal's dates (``a``, ``b`` the
current values, ``a_lag``, ``b_lag`` the values at t - N) and returns the signal's values;
NaN means "no value on that date". The two that look back over a window of observations
(drawdown, zscore) take a dated pandas Series of the input's observations. Alignment and
storage live elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

Values = npt.NDArray[np.float64]


def ratio(a: Values, b: Values) -> Values:
    """a / b."""
    return a / b


def relative_return(a: Values, a_lag: Values, b: Values, b_lag: Values) -> Values:
    """(a_t / a_{t-N} - 1) - (b_t / b_{t-N} - 1), in percentage points."""
    return ((a / a_lag - 1.0) - (b / b_lag - 1.0)) * 100.0


def ratio_change(a: Values, a_lag: Values, b: Values, b_lag: Values) -> Values:
    """(a/b)_t / (a/b)_{t-N} - 1, in percent."""
    return ((a / b) / (a_lag / b_lag) - 1.0) * 100.0


def level(x: Values) -> Values:
    """x_t."""
    return x


def change(x: Values, x_lag: Values, mode: str) -> Values:
    """x_t / x_{t-N} - 1 in percent, or x_t - x_{t-N} with ``mode="difference"``."""
    if mode == "difference":
        return x - x_lag
    return (x / x_lag - 1.0) * 100.0


def drawdown(x: pd.Series, window: int | None, prior_max: float | None = None) -> pd.Series:
    """x_t / max(x over [t - N, t], or over all history up to t) - 1, in percent.

    ``x`` holds the input's observations (NaN-free, dated); ``prior_max`` is the maximum of the
    observations before ``x`` starts, so an incremental run need not read all history.
    """
    if window is None:
        peak = x.cummax()
        if prior_max is not None:
            peak = peak.clip(lower=prior_max)
    else:
        peak = x.rolling(f"{window}D", closed="both").max()
    return (x / peak - 1.0) * 100.0


def zscore(x: pd.Series, window: int) -> pd.Series:
    """(x_t - mean) / sample standard deviation of the observations in (t - N, t]."""
    rolling = x.rolling(f"{window}D", closed="right")
    return (x - rolling.mean()) / rolling.std(ddof=1)


def formula(inputs: Sequence[Values], factors: Sequence[float]) -> Values:
    """Sum of ``factor * input``; factors already include each input's unit conversion."""
    total = inputs[0] * factors[0]
    for series, factor in zip(inputs[1:], factors[1:], strict=True):
        total = total + series * factor
    return total
