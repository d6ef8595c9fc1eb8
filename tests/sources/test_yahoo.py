"""The Yahoo adapter against frames shaped exactly like yfinance 1.x's ``download``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from monitor.config import load_config
from monitor.errors import EmptyResponseError, RateLimitedError, TransientSourceError
from monitor.sources.yahoo import YahooSource
from tests.fakes.yahoo import FakeYahoo, history_from_csv

CONFIG = load_config(None, database_url="sqlite://")


@pytest.fixture
def fake(data_dir: Path) -> FakeYahoo:
    return FakeYahoo(
        {
            s: history_from_csv(str(data_dir / "yahoo" / f"{s}.csv"))
            for s in ("BTC-USD", "IGV", "^NDX")
        }
    )


def _instruments(*symbols: str):
    return [CONFIG.instrument(s) for s in symbols]


def test_fake_has_yfinance_shape(fake: FakeYahoo) -> None:
    raw = fake.download(["BTC-USD", "IGV"], start="2025-06-01", end="2025-06-10")
    assert isinstance(raw.columns, pd.MultiIndex)
    assert raw.columns.names == ["Price", "Ticker"]
    assert str(raw.index.tz) in ("America/New_York", "UTC")


def test_batched_download_keeps_each_tickers_own_dates(fake: FakeYahoo, data_dir: Path) -> None:
    source = YahooSource(download=fake.download)
    frame = source.fetch(_instruments("BTC-USD", "IGV"), date(2025, 6, 1), date(2025, 6, 30))
    assert len(fake.calls) == 1 and fake.calls[0]["auto_adjust"] is True
    assert fake.calls[0]["ignore_tz"] is False and fake.calls[0]["timeout"] > 0
    btc = frame[frame.symbol == "BTC-USD"].set_index("date")["close"]
    expected = history_from_csv(str(data_dir / "yahoo" / "BTC-USD.csv"))["Close"]
    # a Bitcoin bar stamped 00:00 UTC must not slide into the previous New York day
    assert btc[date(2025, 6, 14)] == expected[pd.Timestamp("2025-06-14")]
    assert len(btc) == 30
    igv = frame[frame.symbol == "IGV"]
    assert date(2025, 6, 14) not in set(igv["date"])  # a Saturday: no ETF bar
    assert igv["close"].notna().all()


def test_one_failed_ticker_is_reported_missing(fake: FakeYahoo) -> None:
    fake.errors["IGV"] = "possibly delisted; no price data found"
    frame = YahooSource(download=fake.download).fetch(
        _instruments("BTC-USD", "IGV"), date(2025, 6, 1), None
    )
    assert frame.attrs["missing"] == ["IGV"]
    assert set(frame.symbol) == {"BTC-USD"}


def test_every_ticker_failing_is_an_empty_response(fake: FakeYahoo) -> None:
    fake.errors.update({"IGV": "no data", "BTC-USD": "no data"})
    with pytest.raises(EmptyResponseError, match="empty response"):
        YahooSource(download=fake.download).fetch(_instruments("BTC-USD", "IGV"), date(2025, 6, 1))


def test_rate_limit_logged_by_yfinance_becomes_rate_limited(fake: FakeYahoo) -> None:
    fake.errors["IGV"] = "YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
    with pytest.raises(RateLimitedError):
        YahooSource(download=fake.download).fetch(_instruments("BTC-USD", "IGV"), date(2025, 6, 1))


def test_rate_limit_raised_by_yfinance_becomes_rate_limited(fake: FakeYahoo) -> None:
    from yfinance.exceptions import YFRateLimitError

    fake.raise_error = YFRateLimitError()
    with pytest.raises(RateLimitedError, match="Too Many Requests") as raised:
        YahooSource(download=fake.download).fetch(_instruments("IGV"), date(2025, 6, 1))
    assert raised.value.retry_after == 60.0


def test_exception_from_yfinance_is_transient(fake: FakeYahoo) -> None:
    fake.raise_error = ConnectionError("Could not resolve host: query2.finance.yahoo.com")
    with pytest.raises(TransientSourceError, match="resolve host"):
        YahooSource(download=fake.download).fetch(_instruments("IGV"), date(2025, 6, 1))


def test_ohlc_columns_are_carried(fake: FakeYahoo) -> None:
    frame = YahooSource(download=fake.download).fetch(_instruments("^NDX"), date(2025, 6, 27))
    assert list(frame["date"]) == [date(2025, 6, 27), date(2025, 6, 30)]
    assert frame["open"].notna().all() and frame["high"].notna().all()


def test_network_error_message_is_one_short_line(fake: FakeYahoo) -> None:
    reason = (
        "Failed to get ticker '{}' reason: Failed to perform, curl: (6) Could not resolve "
        "host: query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html"
    )
    fake.errors.update({s: reason.format(s) for s in ("BTC-USD", "IGV", "^NDX")})
    with pytest.raises(TransientSourceError) as info:
        YahooSource(download=fake.download).fetch(
            _instruments("BTC-USD", "IGV", "^NDX"), date(2025, 6, 1)
        )
    message = str(info.value)
    assert "Could not resolve" in message and "(+2 more)" in message
    assert len(message) < 300 and "\n" not in message
