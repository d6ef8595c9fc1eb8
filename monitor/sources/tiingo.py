"""Tiingo end-of-day prices (keyed): ``/tiingo/daily/{ticker}/prices?startDate=&endDate=``.

The key comes from ``$TIINGO_API_KEY`` and travels in the ``Authorization`` header, never in a
URL or a message. Without it every fetch raises :class:`~monitor.errors.NotConfiguredError`
(one line, not retried), so a chain skips the source.

Tiingo answers a JSON list of bars, ``date`` at midnight UTC of the trading day, with raw
(``close``...) and split- and dividend-adjusted (``adjClose``...) prices. The adapter keeps the
adjusted ones, Yahoo's ``auto_adjust=True`` series. A bar with ``splitFactor`` other than 1 or
``divCash`` other than 0 means every earlier adjusted close changed upstream: the symbol is
listed in ``frame.attrs[REREAD]`` (:data:`~monitor.sources.base.REREAD`) so the fetch layer
downloads its whole history again. Documented at https://www.tiingo.com/documentation/end-of-day.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import httpx
import pandas as pd

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, NotConfiguredError, SourceError
from monitor.sources import http
from monitor.sources.base import REREAD, normalised

URL = "https://api.tiingo.com/tiingo/daily/{ticker}/prices"
API_KEY_ENV = "TIINGO_API_KEY"
_FIELDS = {
    "adjOpen": "open",
    "adjHigh": "high",
    "adjLow": "low",
    "adjClose": "close",
    "adjVolume": "volume",
}


class TiingoSource:
    """Daily adjusted bars of Tiingo tickers; ``client`` carries the key (None: not configured)."""

    name = "tiingo"

    def __init__(self, client: httpx.Client | None) -> None:
        self._client = client

    @classmethod
    def from_environment(cls, timeout: float = 30.0) -> TiingoSource:
        """The adapter keyed with ``$TIINGO_API_KEY``; without it, one that is not configured."""
        key = os.environ.get(API_KEY_ENV)
        if not key:
            return cls(None)
        return cls(http.new_client(timeout, {"Authorization": f"Token {key}"}))

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """Every ticker's bars; symbols whose adjusted history changed are in ``attrs[REREAD]``."""
        if self._client is None:
            raise NotConfiguredError(f"tiingo: not configured ({API_KEY_ENV} is not set): skipped")
        frames, reread = [], []
        for instrument in instruments:
            frame, adjusted = self._ticker(self._client, instrument.symbol, start, end)
            frames.append(frame)
            if adjusted:
                reread.append(instrument.symbol)
        result = normalised(pd.concat(frames, ignore_index=True))
        result.attrs[REREAD] = reread
        return result

    def _ticker(
        self, client: httpx.Client, ticker: str, start: date, end: date | None
    ) -> tuple[pd.DataFrame, bool]:
        params = {"startDate": start.isoformat(), "format": "json"}
        if end is not None:
            params["endDate"] = end.isoformat()
        what = f"tiingo: {ticker}"
        body = http.get_json(client, URL.format(ticker=ticker.lower()), params, what)
        if not isinstance(body, list):
            raise SourceError(f"{what}: unexpected response {str(body)[:200]}")
        bars = [b for b in (_bar(what, row) for row in body) if _within(b[0], start, end)]
        if not bars:
            raise EmptyResponseError(f"{what}: no prices since {start}")
        frame = pd.DataFrame([values for _, values, _ in bars], columns=list(_FIELDS.values()))
        frame.insert(0, "date", [day for day, _, _ in bars])
        frame.insert(0, "symbol", ticker)
        return frame, any(action for _, _, action in bars)


def _bar(what: str, row: object) -> tuple[date, list[float], bool]:
    """(date, adjusted values, whether a split or dividend happened that day) of one bar."""
    if not isinstance(row, Mapping):
        raise SourceError(f"{what}: malformed bar {str(row)[:100]}")
    try:
        day = date.fromisoformat(str(row["date"])[:10])
        values = [_number(row.get(field)) for field in _FIELDS]
        split, dividend = _number(row.get("splitFactor", 1.0)), _number(row.get("divCash", 0.0))
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(f"{what}: malformed bar {str(row)[:100]}") from exc
    return day, values, split != 1.0 or dividend != 0.0


def _within(day: date, start: date, end: date | None) -> bool:
    return start <= day and (end is None or day <= end)


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)
