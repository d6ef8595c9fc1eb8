"""The Coinbase Exchange adapter over httpx with recorded candles.

Format: Coinbase Exchange REST API, "Get product candles"
(https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproductcandles): a JSON list
of ``[time, low, high, open, close, volume]``, newest first, at most 300 per request.
``recorded/coinbase_BTC-USD_2025-06.json`` is in that layout; its closes are the bundled real
BTC-USD closes of June 2025 (UTC days), its open the previous close, low/high/volume illustrative.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from monitor.config import Instrument
from monitor.errors import EmptyResponseError, RateLimitedError, SourceError, TransientSourceError
from monitor.sources.coinbase import CoinbaseSource
from tests.fakes.http import FakeApi, failing, recorded, serving

BTC = Instrument(symbol="BTC-USD", source="coinbase", calendar="crypto")
JULY_2 = datetime(2025, 7, 2, 9, 0, tzinfo=UTC)


def _source(fake: FakeApi, now: datetime = JULY_2) -> CoinbaseSource:
    return CoinbaseSource(fake.client(), now=lambda: now)


def test_candles_become_utc_daily_bars() -> None:
    fake = serving(recorded("coinbase_BTC-USD_2025-06.json"))
    frame = _source(fake).fetch([BTC], date(2025, 6, 1), date(2025, 6, 30))
    request = fake.requests[0]
    assert request.url.path == "/products/BTC-USD/candles"
    assert request.url.params["granularity"] == "86400"
    assert request.url.params["start"] == "2025-06-01T00:00:00Z"
    assert list(frame["date"]) == [date(2025, 6, 1) + timedelta(days=i) for i in range(30)]
    june_30 = frame.set_index("date").loc[date(2025, 6, 30)]
    assert (june_30["open"], june_30["close"]) == (108359.0, 107165.0)
    assert june_30["low"] <= june_30["close"] <= june_30["high"]


def test_a_long_range_is_asked_for_in_windows_of_300_days() -> None:
    fake = serving(recorded("coinbase_BTC-USD_2025-06.json"))
    _source(fake).fetch([BTC], date(2024, 1, 1), date(2025, 6, 30))
    windows = [(r.url.params["start"][:10], r.url.params["end"][:10]) for r in fake.requests]
    assert windows == [("2024-01-01", "2024-10-26"), ("2024-10-27", "2025-06-30")]
    for start, end in windows:
        days = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
        assert days <= 300


def test_todays_unfinished_candle_is_dropped() -> None:
    """At 09:00 UTC on June 30 the June 30 candle is still trading: the last bar is June 29."""
    fake = serving(recorded("coinbase_BTC-USD_2025-06.json"))
    frame = _source(fake, now=datetime(2025, 6, 30, 9, 0, tzinfo=UTC)).fetch(
        [BTC], date(2025, 6, 1)
    )
    assert frame["date"].max() == date(2025, 6, 29)
    assert fake.requests[-1].url.params["end"] == "2025-06-29T00:00:00Z"


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(429, headers={"Retry-After": "3"}), RateLimitedError, "rate limited"),
        (httpx.Response(502), TransientSourceError, "HTTP 502"),
        (httpx.Response(404, json={"message": "NotFound"}), SourceError, "NotFound"),
        (httpx.Response(200, json={"message": "oops"}), SourceError, "unexpected response"),
        (httpx.Response(200, json=[[1751241600, "x", 1, 1, 1, 1]]), SourceError, "malformed"),
        (httpx.Response(200, json=[]), EmptyResponseError, "no candles"),
    ],
)
def test_failures_are_translated(response: httpx.Response, error: type, message: str) -> None:
    fake = FakeApi(lambda request: response)
    with pytest.raises(error, match=message) as info:
        _source(fake).fetch([BTC], date(2025, 6, 1))
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after == 3.0


def test_network_errors_are_transient() -> None:
    with pytest.raises(TransientSourceError, match="timed out"):
        _source(failing(httpx.ReadTimeout("timed out"))).fetch([BTC], date(2025, 6, 1))
