"""Coinbase Exchange daily candles (keyless): ``/products/{product}/candles``, granularity 1 day.

A candle is ``[time, low, high, open, close, volume]``, ``time`` the Unix second its UTC day
starts, newest first. Days are UTC days, as Yahoo dates Bitcoin: the candle dated ``D`` closes at
00:00 UTC of ``D + 1``, and today's candle (still trading) is dropped. The API answers at most
300 candles per request, so a long range is asked for in windows of 300 days. Prices are raw
trades (no adjustment exists for a currency pair); ``volume`` is in the base currency.
Documented at https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproductcandles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, SourceError
from monitor.sources import http
from monitor.sources.base import normalised

URL = "https://api.exchange.coinbase.com/products/{product}/candles"
DAY = 86400
MAX_CANDLES = 300
_FIELDS = ("low", "high", "open", "close", "volume")


class CoinbaseSource(http.KeylessSource):
    """Daily candles of Coinbase products (``BTC-USD``); ``now`` is the clock (UTC)."""

    name = "coinbase"

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """Every product's closed daily candles from ``start`` to ``end`` (None: yesterday)."""
        last_closed = self._now().astimezone(UTC).date() - timedelta(days=1)
        end = min(end, last_closed) if end else last_closed
        frames = [self._product(i.symbol, start, end) for i in instruments]
        return normalised(pd.concat(frames, ignore_index=True))

    def _product(self, product: str, start: date, end: date) -> pd.DataFrame:
        rows: dict[date, list[float]] = {}
        for first, last in _windows(start, end):
            rows.update(self._window(product, first, last))
        days = sorted(day for day in rows if start <= day <= end)
        if not days:
            raise EmptyResponseError(f"coinbase: no candles of {product} from {start} to {end}")
        frame = pd.DataFrame([rows[day] for day in days], columns=list(_FIELDS))
        frame.insert(0, "date", days)
        frame.insert(0, "symbol", product)
        return frame

    def _window(self, product: str, first: date, last: date) -> dict[date, list[float]]:
        params = {
            "granularity": str(DAY),
            "start": _utc_midnight(first),
            "end": _utc_midnight(last),
        }
        what = f"coinbase: {product}"
        body = http.get_json(self._client, URL.format(product=product), params, what)
        if not isinstance(body, list):
            raise SourceError(f"{what}: unexpected response {str(body)[:200]}")
        return dict(_candle(what, row) for row in body)


def _windows(start: date, end: date) -> list[tuple[date, date]]:
    """``start``..``end`` in windows of at most :data:`MAX_CANDLES` days, both ends inclusive."""
    windows, first = [], start
    while first <= end:
        last = min(end, first + timedelta(days=MAX_CANDLES - 1))
        windows.append((first, last))
        first = last + timedelta(days=1)
    return windows


def _utc_midnight(day: date) -> str:
    return datetime.combine(day, time(0, 0), UTC).isoformat().replace("+00:00", "Z")


def _candle(what: str, row: object) -> tuple[date, list[float]]:
    if not isinstance(row, list) or len(row) < 6:
        raise SourceError(f"{what}: malformed candle {str(row)[:100]}")
    try:
        day = datetime.fromtimestamp(int(row[0]), UTC).date()
        values = [float(v) for v in row[1:6]]
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise SourceError(f"{what}: malformed candle {str(row)[:100]}") from exc
    return day, values
