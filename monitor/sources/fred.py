"""FRED series over httpx: the keyless ``fredgraph.csv`` endpoint, or the JSON API with a key.

FRED writes ``.`` (CSV and JSON) or an empty cell for a date with no observation: those are
missing values, not errors. Dates are FRED's: the first day of the period for monthly and
quarterly series. 429 and 5xx are transient; ``Retry-After`` is honoured.

Some FRED series are prices, usable as a price source (or a fallback for one):
:data:`~monitor.config.FRED_PRICE_SERIES`. ``NASDAQ100`` is the Nasdaq-100's close (4 pm New
York), the same bar as Yahoo's ``^NDX``. ``CBBTCUSD`` is Coinbase's Bitcoin price fixed at
5 pm America/Los_Angeles on its date (00:00 UTC of the next day in summer, 01:00 UTC in winter),
so its bar ends with Yahoo's UTC day or an hour after it; FRED publishes it the next day, so no
unfinished fixing is ever served. The adapter fetches the series its instrument's ``symbol``
names: a fallback asks for another series by passing a copy of the instrument with that symbol.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import date

import httpx
import pandas as pd

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, SourceError
from monitor.sources import http
from monitor.sources.base import normalised

GRAPH_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
API_URL = "https://api.stlouisfed.org/fred/series/observations"
API_KEY_ENV = "FRED_API_KEY"


class FredSource:
    """FRED series by id; ``client`` is an httpx client (a MockTransport one in tests)."""

    name = "fred"

    def __init__(self, client: httpx.Client, api_key: str | None = None) -> None:
        self._client = client
        self._api_key = api_key

    @classmethod
    def from_environment(cls, timeout: float = 30.0) -> FredSource:
        """The adapter with a real client, using ``$FRED_API_KEY`` when it is set."""
        return cls(http.new_client(timeout), api_key=os.environ.get(API_KEY_ENV) or None)

    def fetch(
        self, instruments: Sequence[Instrument], start: date, end: date | None = None
    ) -> pd.DataFrame:
        """Every series from ``start``; one request per series."""
        frames = [self._series(i.symbol, start, end) for i in instruments]
        return normalised(pd.concat(frames, ignore_index=True))

    def _series(self, series: str, start: date, end: date | None) -> pd.DataFrame:
        if self._api_key:
            values = self._from_api(series, start, end)
        else:
            values = self._from_graph(series, start, end)
        frame = pd.DataFrame({"date": list(values), "close": list(values.values())})
        frame = frame[frame["date"] >= start]
        if end is not None:
            frame = frame[frame["date"] <= end]
        if frame["close"].notna().sum() == 0:
            raise EmptyResponseError(f"fred: no observations of {series} since {start}")
        frame.insert(0, "symbol", series)
        return frame

    def _get(self, url: str, params: dict[str, str], series: str) -> httpx.Response:
        return http.get(self._client, url, params, f"fred: {series}")

    def _from_graph(self, series: str, start: date, end: date | None) -> dict[date, float]:
        params = {"id": series, "cosd": start.isoformat()}
        if end is not None:
            params["coed"] = end.isoformat()
        text = self._get(GRAPH_URL, params, series).text
        try:
            raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SourceError(f"fred: {series}: response is not CSV") from exc
        if raw.shape[1] != 2 or raw.columns[1] != series:
            raise SourceError(f"fred: {series}: unexpected CSV header {list(raw.columns)}")
        return _parse_pairs(series, zip(raw.iloc[:, 0], raw.iloc[:, 1], strict=True))

    def _from_api(self, series: str, start: date, end: date | None) -> dict[date, float]:
        params = {
            "series_id": series,
            "api_key": self._api_key or "",
            "file_type": "json",
            "observation_start": start.isoformat(),
        }
        if end is not None:
            params["observation_end"] = end.isoformat()
        try:
            observations = self._get(API_URL, params, series).json()["observations"]
        except (ValueError, KeyError) as exc:
            raise SourceError(f"fred: {series}: unexpected JSON response") from exc
        return _parse_pairs(series, ((o["date"], o["value"]) for o in observations))


def _parse_pairs(series: str, pairs: object) -> dict[date, float]:
    values: dict[date, float] = {}
    for raw_date, raw_value in pairs:  # type: ignore[attr-defined]
        try:
            day = date.fromisoformat(str(raw_date).strip())
        except ValueError as exc:
            raise SourceError(f"fred: {series}: unparseable date {raw_date!r}") from exc
        text = str(raw_value).strip()
        try:
            values[day] = float("nan") if text in ("", ".") else float(text)
        except ValueError as exc:
            raise SourceError(f"fred: {series}: non-numeric value {raw_value!r} on {day}") from exc
    return values
