"""The Tiingo adapter (keyed) with recorded responses.

Format: Tiingo End-of-Day API (https://www.tiingo.com/documentation/end-of-day),
``/tiingo/daily/<ticker>/prices``: a JSON list of bars with ``date``, raw ``open``...``close``,
``volume``, adjusted ``adjOpen``...``adjClose``, ``adjVolume``, ``divCash`` and ``splitFactor``.
``recorded/tiingo_AAPL_2020-08.json`` is in that layout around Apple's 4-for-1 split of
2020-08-31: the raw closes are Apple's (not re-checked against a capture), every other field
illustrative.
"""

from __future__ import annotations

import logging
from datetime import date

import httpx
import pytest

from monitor.config import Instrument
from monitor.errors import (
    EmptyResponseError,
    NotConfiguredError,
    RateLimitedError,
    SourceError,
    TransientSourceError,
)
from monitor.ingest.group import fetch_group, pacing_of
from monitor.runtime import open_runtime
from monitor.sources.base import REREAD
from monitor.sources.tiingo import TiingoSource
from tests.fakes.http import FakeApi, failing, recorded, serving

AAPL = Instrument(symbol="AAPL", source="tiingo")


def test_adjusted_bars_are_kept_and_the_key_travels_in_a_header() -> None:
    fake = serving(recorded("tiingo_AAPL_2020-08.json"))
    client = fake.client(headers={"Authorization": "Token s3cret"})
    frame = TiingoSource(client).fetch([AAPL], date(2020, 8, 27), date(2020, 9, 1))
    request = fake.requests[0]
    assert request.url.path == "/tiingo/daily/aapl/prices"
    assert request.url.params["startDate"] == "2020-08-27"
    assert "s3cret" not in str(request.url) and request.headers["Authorization"] == "Token s3cret"
    bars = frame.set_index("date")
    assert bars.loc[date(2020, 8, 28), "close"] == 122.62  # adjClose, not the raw 499.23
    assert bars.loc[date(2020, 8, 31), "volume"] == 225702700


def test_a_split_or_dividend_in_the_window_asks_for_the_history_again() -> None:
    fake = serving(recorded("tiingo_AAPL_2020-08.json"))
    frame = TiingoSource(fake.client()).fetch([AAPL], date(2020, 8, 27))
    assert frame.attrs[REREAD] == ["AAPL"]  # splitFactor 4.0 on 2020-08-31
    quiet = TiingoSource(fake.client()).fetch([AAPL], date(2020, 9, 1))
    assert quiet.attrs[REREAD] == []
    dividend = [{"date": "2020-08-07T00:00:00.000Z", "adjClose": 111.0, "divCash": 0.82}]
    paid = TiingoSource(serving(dividend).client()).fetch([AAPL], date(2020, 8, 7))
    assert paid.attrs[REREAD] == ["AAPL"]


def test_without_a_key_it_is_skipped_with_one_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("TIINGO_API_KEY", raising=False)
    source = TiingoSource.from_environment()
    with caplog.at_level(logging.DEBUG), pytest.raises(NotConfiguredError) as info:
        source.fetch([AAPL], date(2020, 8, 27))
    assert str(info.value) == "tiingo: not configured (TIINGO_API_KEY is not set): skipped"
    assert caplog.records == []


def test_the_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIINGO_API_KEY", "k3y")
    source = TiingoSource.from_environment()
    assert source._client is not None
    assert source._client.headers["Authorization"] == "Token k3y"


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (httpx.Response(429, headers={"Retry-After": "60"}), RateLimitedError, "rate limited"),
        (httpx.Response(503), TransientSourceError, "HTTP 503"),
        (httpx.Response(401, json={"detail": "Invalid token."}), SourceError, "Invalid token"),
        (httpx.Response(404, json={"detail": "Error: Ticker 'X' not found"}), SourceError, "404"),
        (httpx.Response(200, json={"detail": "?"}), SourceError, "unexpected response"),
        (httpx.Response(200, json=[{"close": 1}]), SourceError, "malformed"),
        (httpx.Response(200, json=[]), EmptyResponseError, "no prices"),
    ],
)
def test_failures_are_translated(response: httpx.Response, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        TiingoSource(FakeApi(lambda request: response).client()).fetch([AAPL], date(2020, 8, 27))


def test_network_errors_are_transient() -> None:
    with pytest.raises(TransientSourceError):
        TiingoSource(failing(httpx.ReadTimeout("timed out")).client()).fetch(
            [AAPL], date(2020, 8, 27)
        )


def test_a_fetch_without_the_key_is_one_failed_run_and_one_line(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    runtime = open_runtime(None, sqlite_url)
    sleeps: list[float] = []
    try:
        with caplog.at_level(logging.INFO):
            report = fetch_group(
                runtime.config,
                runtime.engine,
                {"tiingo": TiingoSource(None)},
                [AAPL],
                since=date(2020, 8, 27),
                pacing=pacing_of(runtime.config, sleeps.append),
            )
    finally:
        runtime.close()
    assert report.status == "failed" and sleeps == []  # not retried
    assert report.error == "tiingo: not configured (TIINGO_API_KEY is not set): skipped"
    assert [r.getMessage() for r in caplog.records if "tiingo" in r.getMessage()] == [
        "fetch tiingo: failed, 0 rows, 0 rejected: " + report.error
    ]


def test_a_split_in_the_fetched_window_downloads_the_stored_history_again(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiingo's splitFactor says the adjusted closes changed: the whole history is read again,
    from the oldest stored date, so no stored close stays on the old scale."""
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    runtime = open_runtime(None, sqlite_url)
    fake = serving(recorded("tiingo_AAPL_2020-08.json"))
    source = {"tiingo": TiingoSource(fake.client())}
    pacing = pacing_of(runtime.config, lambda seconds: None)
    try:
        first = fetch_group(
            runtime.config, runtime.engine, source, [AAPL], since=date(2020, 8, 1), pacing=pacing
        )
        asked = len(fake.requests)
        again = fetch_group(
            runtime.config, runtime.engine, source, [AAPL], since=date(2020, 8, 31), pacing=pacing
        )
    finally:
        runtime.close()
    assert first.status == "ok" and asked == 1  # nothing stored before: nothing to re-read
    assert again.rescaled == ["AAPL"]
    starts = [r.url.params["startDate"] for r in fake.requests[asked:]]
    assert starts == ["2020-08-31", "2020-08-27"]  # the window, then all the stored history
