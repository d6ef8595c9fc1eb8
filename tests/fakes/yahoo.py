"""A stand-in for ``yfinance.download`` returning frames shaped exactly like yfinance 1.x's.

yfinance builds one frame per ticker with a tz-aware index in the exchange's zone (New York
midnight for US equities, UTC midnight for crypto), converts them all to the most common zone
(``ignore_tz=False``), reindexes them to the union of dates, concatenates them under
``(Ticker, Price)`` and swaps to ``(Price, Ticker)`` columns. A failed ticker contributes an
empty frame and an ERROR line on the ``yfinance`` logger; the call itself does not raise.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

CRYPTO = {"BTC-USD", "ETH-USD"}
PRICE_FIELDS = ["Close", "High", "Low", "Open", "Volume"]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame(columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"])
    frame.index = pd.DatetimeIndex([], name="Date")
    return frame


@dataclass
class FakeYahoo:
    """Serves ``history`` (symbol -> frame indexed by naive dates, with a ``Close`` column)."""

    history: dict[str, pd.DataFrame]
    errors: dict[str, str] = field(default_factory=dict)  # symbol -> logged error
    raise_error: Exception | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def download(self, tickers: list[str], **kwargs: Any) -> pd.DataFrame:
        self.calls.append({"tickers": list(tickers), **kwargs})
        if self.raise_error is not None:
            raise self.raise_error
        start = pd.Timestamp(kwargs["start"]) if kwargs.get("start") else None
        end = pd.Timestamp(kwargs["end"]) if kwargs.get("end") else None  # exclusive, like Yahoo
        frames: dict[str, pd.DataFrame] = {}
        for ticker in tickers:
            if ticker in self.errors or ticker not in self.history:
                message = self.errors.get(ticker, "possibly delisted; no price data found")
                logging.getLogger("yfinance").error("%s: %s", [ticker], message)
                frames[ticker] = _empty()
                continue
            frames[ticker] = self._one(ticker, start, end)
        return _combine(frames)

    def _one(self, ticker: str, start: pd.Timestamp | None, end: pd.Timestamp | None):
        source = self.history[ticker]
        days = pd.DatetimeIndex(source.index)
        keep = np.ones(len(days), dtype=bool)
        if start is not None:
            keep &= days >= start
        if end is not None:
            keep &= days < end
        source = source[keep]
        zone = "UTC" if ticker in CRYPTO else "America/New_York"
        frame = pd.DataFrame(index=pd.DatetimeIndex(source.index).tz_localize(zone))
        frame.index.name = "Date"
        close = source["Close"].to_numpy(dtype=float)
        for column in ("Open", "High", "Low"):
            frame[column] = source[column].to_numpy(float) if column in source else close
        frame["Close"] = close
        frame["Volume"] = source["Volume"].to_numpy() if "Volume" in source else 1_000_000
        return frame


def _combine(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    zones = [str(f.index.tz) for f in frames.values() if not f.empty]
    if zones:
        mode = Counter(zones).most_common(1)[0][0]
        frames = {t: f.tz_convert(mode) if not f.empty else f for t, f in frames.items()}
    index = None
    for frame in frames.values():
        if not frame.empty:
            index = frame.index if index is None else index.union(frame.index)
    index = index if index is not None else pd.DatetimeIndex([])
    frames = {t: f.reindex(index) for t, f in frames.items()}
    data = pd.concat(
        frames.values(), axis=1, sort=True, keys=frames.keys(), names=["Ticker", "Price"]
    )
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


def history_from_csv(path: str) -> pd.DataFrame:
    """A shared-data CSV as the fake's history: naive date index, ``Close`` (and OHLC) columns."""
    return pd.read_csv(path, index_col="Date", parse_dates=["Date"])
