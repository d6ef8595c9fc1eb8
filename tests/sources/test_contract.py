"""The contract every source fulfils (:mod:`monitor.sources.base`), checked on each of them.

One suite, parametrised over a harness per source (APScheduler's store suite is the model): a
new source adds a harness and gets every check. Each harness serves the same real history (the
bundled ``IGV.csv``) through the source's own boundary: yfinance's frames, FRED's recorded CSV
over httpx, a CSV file on disk, and each JSON API's layout (Coinbase candles, Treasury's Daily
Treasury Statement, the New York Fed's reverse repo results, Tiingo's bars) over httpx.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest

from monitor.config import Instrument, load_config
from monitor.errors import EmptyResponseError, FirealarmError, SourceError
from monitor.sources.base import COLUMNS, Source
from monitor.sources.coinbase import CoinbaseSource
from monitor.sources.csvfile import CsvSource
from monitor.sources.fred import FredSource
from monitor.sources.nyfed import NyFedSource
from monitor.sources.tiingo import TiingoSource
from monitor.sources.treasury import TreasurySource
from monitor.sources.yahoo import YahooSource
from tests.fakes.fred import FakeFred
from tests.fakes.http import failing, serving
from tests.fakes.yahoo import FakeYahoo, history_from_csv

CONFIG = load_config(None, database_url="sqlite://")
START, END = date(2025, 5, 1), date(2025, 6, 30)


@dataclass
class Harness:
    """A source serving one instrument's history, one serving nothing, one failing."""

    instrument: Instrument
    working: Source
    empty: Source
    failing: Source


def _yahoo(data_dir: Path, tmp_path: Path) -> Harness:
    history = history_from_csv(str(data_dir / "yahoo" / "IGV.csv"))
    broken = FakeYahoo({}, raise_error=ConnectionError("connection reset by peer"))
    return Harness(
        CONFIG.instrument("IGV"),
        YahooSource(FakeYahoo({"IGV": history}).download),
        YahooSource(FakeYahoo({}).download),
        YahooSource(broken.download),
    )


def _fred(data_dir: Path, tmp_path: Path) -> Harness:
    rows = (data_dir / "yahoo" / "IGV.csv").read_text().splitlines()
    csv = "observation_date,IGV\n" + "\n".join(rows[1:]) + "\n"
    instrument = Instrument(symbol="IGV", source="fred", period="day", release_lag=0)

    def down(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    return Harness(
        instrument,
        FredSource(FakeFred({"IGV": csv}).client()),
        FredSource(FakeFred({"IGV": "observation_date,IGV\n"}).client()),
        FredSource(httpx.Client(transport=httpx.MockTransport(down))),
    )


def _csv(data_dir: Path, tmp_path: Path) -> Harness:
    def at(name: str, text: str | None) -> Instrument:
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        return Instrument(symbol="IGV", source="csv", path=str(path))

    real = (data_dir / "yahoo" / "IGV.csv").read_text()
    old = "Date,Close\n2001-01-02,10.0\n"  # nothing in the requested range
    source = CsvSource()
    working = at("IGV.csv", real)
    return Harness(
        working, source, _Pinned(source, at("old.csv", old)), _Pinned(source, at("gone.csv", None))
    )


@dataclass
class _Pinned:
    """A source whose instrument is fixed (a CSV source reads the path its instrument names)."""

    source: Source
    instrument: Instrument
    name: str = "csv"

    def fetch(self, instruments: object, start: date, end: date | None = None) -> pd.DataFrame:
        return self.source.fetch([self.instrument], start, end)


def _igv(data_dir: Path) -> list[tuple[date, float]]:
    frame = pd.read_csv(data_dir / "yahoo" / "IGV.csv")
    return [
        (date.fromisoformat(d), float(c))
        for d, c in zip(frame["Date"], frame["Close"], strict=True)
    ]


def _json_api(
    make: Callable[..., Source], body: object, empty: object, instrument: Instrument
) -> Harness:
    return Harness(
        instrument,
        make(serving(body).client()),
        make(serving(empty).client()),
        make(failing(httpx.ConnectError("connection refused")).client()),
    )


def _later(client: httpx.Client) -> CoinbaseSource:
    return CoinbaseSource(client, now=lambda: datetime(2025, 7, 2, tzinfo=UTC))


def _coinbase(data_dir: Path, tmp_path: Path) -> Harness:
    candles = [
        [int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()), c, c, c, c, 1.0]
        for d, c in reversed(_igv(data_dir))
    ]
    instrument = Instrument(symbol="IGV", source="coinbase", calendar="crypto")
    return _json_api(_later, candles, [], instrument)


def _treasury(data_dir: Path, tmp_path: Path) -> Harness:
    line = "Treasury General Account (TGA) Closing Balance"
    rows = [
        {"record_date": d.isoformat(), "account_type": line, "open_today_bal": repr(c)}
        for d, c in _igv(data_dir)
    ]
    body = {"data": rows, "meta": {"total-pages": 1}, "links": {"next": None}}
    empty = {"data": [], "meta": {"total-pages": 0}, "links": {"next": None}}
    instrument = Instrument(symbol="IGV", source="treasury", unit="millions_usd")
    return _json_api(TreasurySource, body, empty, instrument)


def _nyfed(data_dir: Path, tmp_path: Path) -> Harness:
    operations = [
        {"operationDate": d.isoformat(), "operationType": "Reverse Repo", "totalAmtAccepted": c}
        for d, c in _igv(data_dir)
    ]
    body, empty = {"repo": {"operations": operations}}, {"repo": {"operations": []}}
    return _json_api(NyFedSource, body, empty, Instrument(symbol="IGV", source="nyfed"))


def _tiingo(data_dir: Path, tmp_path: Path) -> Harness:
    bars = [{"date": f"{d}T00:00:00.000Z", "close": c, "adjClose": c} for d, c in _igv(data_dir)]
    return _json_api(TiingoSource, bars, [], Instrument(symbol="IGV", source="tiingo"))


HARNESSES: dict[str, Callable[[Path, Path], Harness]] = {
    "yahoo": _yahoo,
    "fred": _fred,
    "csv": _csv,
    "coinbase": _coinbase,
    "treasury": _treasury,
    "nyfed": _nyfed,
    "tiingo": _tiingo,
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path) -> Harness:
    return HARNESSES[request.param](data_dir, tmp_path)


def test_every_source_has_a_harness() -> None:
    assert {i.source for i in CONFIG.instruments} <= set(HARNESSES)
    assert set(typing.get_args(Instrument.model_fields["source"].annotation)) == set(HARNESSES)


def test_rows_come_normalised(harness: Harness, data_dir: Path) -> None:
    frame = harness.working.fetch([harness.instrument], START, END)
    assert list(frame.columns) == COLUMNS
    assert not frame.empty and set(frame["symbol"]) == {"IGV"}
    assert all(type(day) is date for day in frame["date"])
    assert not frame.duplicated(["symbol", "date"]).any()
    expected = pd.read_csv(data_dir / "yahoo" / "IGV.csv", parse_dates=["Date"])
    expected = expected[(expected["Date"].dt.date >= START) & (expected["Date"].dt.date <= END)]
    closes = frame.set_index("date")["close"].sort_index()
    assert list(closes.index) == [d.date() for d in expected["Date"]]  # the range, inclusive
    assert closes.tolist() == pytest.approx(expected["Close"].tolist(), rel=1e-12)


def test_values_are_numbers_and_gaps_are_nan(harness: Harness) -> None:
    frame = harness.working.fetch([harness.instrument], START, END)
    for column in ("open", "high", "low", "close", "adj_close", "volume"):
        assert frame[column].dtype.kind in "fiu", column  # numeric: a gap is NaN, never None


def test_an_empty_answer_is_an_error_never_no_change(harness: Harness) -> None:
    with pytest.raises((EmptyResponseError, FirealarmError)) as error:
        harness.empty.fetch([harness.instrument], START, END)
    assert str(error.value)


def test_a_failure_is_a_firealarm_error_never_the_vendors(harness: Harness) -> None:
    with pytest.raises(FirealarmError) as error:
        harness.failing.fetch([harness.instrument], START, END)
    assert isinstance(error.value, SourceError) or error.value.exit_code == 1
    assert str(error.value)
