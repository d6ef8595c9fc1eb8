"""An independent, deliberately plain pandas computation of signals straight from the CSVs.

It shares no code with ``monitor.signals``: available dates come from pandas offsets, the as-of
join from ``pd.merge_asof``, windows from explicit date masks. Tests compare the two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

LIMITS = {"day": 5, "week": 10, "month": 45, "quarter": 120}


def load_csv(path: Path, period: str = "day", lag: int = 0) -> pd.DataFrame:
    """Columns ``avail`` and ``value`` (the last CSV column), sorted, missing values dropped."""
    raw = pd.read_csv(path, na_values=["."])
    dates = pd.to_datetime(raw.iloc[:, 0])
    if period == "quarter":
        dates = dates + pd.offsets.QuarterEnd(0)
    elif period == "month":
        dates = dates + pd.offsets.MonthEnd(0)
    frame = pd.DataFrame({"avail": dates + pd.Timedelta(days=lag), "value": raw.iloc[:, -1]})
    return frame.dropna().sort_values("avail").reset_index(drop=True)


def from_series(series: pd.Series) -> pd.DataFrame:
    """A computed signal as an input frame."""
    return pd.DataFrame({"avail": series.index, "value": series.to_numpy()})


def _lookup(frame: pd.DataFrame, moments: pd.Series, limit: int) -> np.ndarray:
    left = pd.DataFrame({"t": moments.to_numpy()}).reset_index()
    left = left.sort_values("t")
    joined = pd.merge_asof(left, frame, left_on="t", right_on="avail", direction="backward")
    stale = (joined["t"] - joined["avail"]).dt.days > limit
    joined.loc[stale, "value"] = np.nan
    return joined.sort_values("index")["value"].to_numpy()


def aligned(frames: list[pd.DataFrame], limits: list[int], lag: int = 0) -> tuple:
    """(dates, current values per input, values at t - lag per input)."""
    start = max(f["avail"].iloc[0] for f in frames)
    dates = sorted(set().union(*(set(f["avail"]) for f in frames)))
    dates = pd.Series([d for d in dates if d >= start])
    current = [_lookup(f, dates, limit) for f, limit in zip(frames, limits, strict=True)]
    past = dates - pd.Timedelta(days=lag)
    lagged = [_lookup(f, past, limit) for f, limit in zip(frames, limits, strict=True)]
    return pd.DatetimeIndex(dates), current, lagged


def _series(dates: pd.DatetimeIndex, values: np.ndarray) -> pd.Series:
    result = pd.Series(values, index=dates)
    return result.replace([np.inf, -np.inf], np.nan).dropna()


def relative_return(a, b, la, lb, window):
    dates, (x, y), (px, py) = aligned([a, b], [la, lb], window)
    return _series(dates, ((x / px - 1) - (y / py - 1)) * 100)


def ratio_change(a, b, la, lb, window):
    dates, (x, y), (px, py) = aligned([a, b], [la, lb], window)
    return _series(dates, ((x / y) / (px / py) - 1) * 100)


def ratio(a, b, la, lb):
    dates, (x, y), _ = aligned([a, b], [la, lb])
    return _series(dates, x / y)


def level(a, la):
    dates, (x,), _ = aligned([a], [la])
    return _series(dates, x)


def change(a, la, window, mode="percent"):
    dates, (x,), (px,) = aligned([a], [la], window)
    return _series(dates, x - px if mode == "difference" else (x / px - 1) * 100)


def formula(frames, limits, factors):
    dates, current, _ = aligned(frames, limits)
    return _series(dates, sum(f * c for f, c in zip(factors, current, strict=True)))


def drawdown(a, window=None):
    values = a.set_index("avail")["value"]
    peaks = []
    for t in values.index:
        lo = values.index[0] if window is None else t - pd.Timedelta(days=window)
        peaks.append(values[(values.index >= lo) & (values.index <= t)].max())
    return _series(values.index, (values.to_numpy() / np.array(peaks) - 1) * 100)


def zscore(a, window):
    values = a.set_index("avail")["value"]
    out = []
    for t, x in values.items():
        inside = values[(values.index > t - pd.Timedelta(days=window)) & (values.index <= t)]
        sd = np.std(inside.to_numpy(), ddof=1) if len(inside) > 1 else np.nan
        out.append((x - inside.mean()) / sd if sd else np.nan)
    return _series(values.index, np.array(out))
