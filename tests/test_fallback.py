"""Provider chains end to end: real adapters behind fake vendor boundaries, a real database.

^NDX is served by Yahoo (fake ``yfinance.download``) with FRED's NASDAQ100 behind it (a
``MockTransport`` answering in fredgraph.csv's layout, from the ^NDX closes rounded to FRED's
two decimals); BTC-USD by Yahoo with Coinbase behind it (its recorded June 2025 candles, see
tests/sources/test_coinbase.py for the format).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import select
from yfinance.exceptions import YFRateLimitError

from monitor.cli import run
from monitor.config import Config
from monitor.ingest import fetch as ingest
from monitor.ingest.group import FetchReport
from monitor.queries.prices import prices
from monitor.runtime import Runtime, open_runtime
from monitor.signals.engine import compute_signals
from monitor.sources.coinbase import CoinbaseSource
from monitor.sources.csvfile import CsvSource
from monitor.sources.fred import FredSource
from monitor.sources.yahoo import YahooSource
from monitor.store.database import session_scope
from monitor.store.models import FetchRun, ProviderState, SignalValue
from tests.fakes.fred import FakeFred
from tests.fakes.http import recorded, serving
from tests.fakes.yahoo import FakeYahoo, history_from_csv

FIRST = datetime(2025, 6, 20, 21, 0, tzinfo=UTC)  # Friday, after the New York close
NOW = datetime(2025, 6, 30, 21, 0, tzinfo=UTC)  # Monday after the close: a week later
GAP = [date(2025, 6, d) for d in (23, 24, 25, 26, 27, 30)]  # ^NDX bars Yahoo did not serve

CONFIG = """
[fetch]
backfill_start = "2025-01-01"

[[instruments]]
symbol = "BTC-USD"
sources = ["yahoo", "coinbase"]
calendar = "crypto"

[[instruments]]
symbol = "^NDX"
sources = ["yahoo", "fred:NASDAQ100"]

[[signals]]
id = "btc_vs_ndx"
kind = "relative_return"
inputs = ["BTC-USD", "^NDX"]
window = 90
"""


class World:
    """The fakes, the adapters over them and the runtime, for one test."""

    def __init__(self, runtime: Runtime, data_dir: Path, config_path: Path) -> None:
        self.runtime, self.config_path = runtime, config_path
        self.full = {s: history_from_csv(str(data_dir / "yahoo" / f"{s}.csv")) for s in _SYMBOLS}
        self.yahoo = FakeYahoo({s: h[:"2025-06-20"] for s, h in self.full.items()})
        self.fred = FakeFred({"NASDAQ100": fred_csv("NASDAQ100", self.full["^NDX"]["Close"])})
        self.coinbase = serving(recorded("coinbase_BTC-USD_2025-06.json"))
        self.slept: list[float] = []

    @property
    def config(self) -> Config:
        return self.runtime.config

    def fetch(self, now: datetime) -> list[FetchReport]:
        sources = {
            "yahoo": YahooSource(download=self.yahoo.download),
            "fred": FredSource(self.fred.client()),
            "coinbase": CoinbaseSource(self.coinbase.client(), now=lambda: NOW),
        }
        return ingest.fetch(
            self.config,
            self.runtime.engine,
            sources,
            now=now,
            sleep=self.slept.append,
            jitter=lambda: 0.0,
        )

    def cli(self, *argv: str) -> list[str]:
        return ["--config", str(self.config_path), "--db", self.config.database.url, *argv]

    def prices(self, symbol: str) -> list[dict]:
        with session_scope(self.runtime.engine) as session:
            return prices(session, symbol, since=date(2025, 6, 16))

    def evaluate(self, now: datetime) -> dict[str, object]:
        with session_scope(self.runtime.engine) as session:
            reports = compute_signals(session, self.config, now=now)
        return {r.signal: r for r in reports}

    def values(self) -> dict[date, tuple[float, datetime]]:
        query = select(SignalValue.date, SignalValue.value, SignalValue.computed_at).where(
            SignalValue.signal == "btc_vs_ndx"
        )
        with session_scope(self.runtime.engine) as session:
            return {d: (v, at) for d, v, at in session.execute(query)}


_SYMBOLS = ("BTC-USD", "^NDX", "IGV")


def fred_csv(series: str, closes: pd.Series) -> str:
    """``closes`` as fredgraph.csv writes them: two decimals, ``.`` on a date with no value."""
    lines = [f"observation_date,{series}"]
    for day in pd.bdate_range(closes.index.min(), closes.index.max()):
        value = closes.get(day)
        lines.append(f"{day.date()},{'.' if value is None else f'{value:.2f}'}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def world(db_url: str, data_dir: Path, tmp_path: Path) -> Iterator[World]:
    config_path = tmp_path / "firealarm.toml"
    config_path.write_text(CONFIG)
    runtime = open_runtime(config_path, db_url)
    world = World(runtime, data_dir, config_path)
    (report,) = world.fetch(FIRST)
    assert report.status == "ok" and world.prices("^NDX")[-1]["date"] == date(2025, 6, 20)
    yield world
    runtime.close()


def _run(runtime: Runtime, run_id: int | None) -> FetchRun:
    with session_scope(runtime.engine) as session:
        run_ = session.get(FetchRun, run_id)
        assert run_ is not None
        session.expunge(run_)
        return run_


def test_a_rate_limited_yahoo_is_filled_from_the_fallbacks(world: World, capsys) -> None:
    world.yahoo.history = world.full  # it has the data, but throttles this session
    world.yahoo.raise_error = YFRateLimitError()

    (report,) = world.fetch(NOW)

    assert report.status == "partial"
    assert len(world.yahoo.calls) == 2 + 1  # the first fetch, then one retry before moving on
    assert world.slept == [60.0]  # yfinance names no delay: a minute, once (jitter off here)
    assert "^NDX: 6 dates from fred:NASDAQ100" in (report.error or "")
    assert "BTC-USD: 10 dates from coinbase" in (report.error or "")
    assert _run(world.runtime, report.run_id).status == "partial"
    ndx = world.prices("^NDX")
    assert [r["date"] for r in ndx if r["provider"] == "fred:NASDAQ100"] == GAP
    assert {r["provider"] for r in ndx if r["date"] <= date(2025, 6, 20)} == {"yahoo"}
    expected = world.full["^NDX"]["Close"]
    assert [r["close"] for r in ndx[-6:]] == pytest.approx(list(expected[-6:]), rel=1e-4)

    world.evaluate(NOW)
    values = world.values()
    assert all(day in values for day in GAP[:-1])  # BTC's 06-30 bar is not closed yet
    assert values[date(2025, 6, 29)][0] == pytest.approx(_relative_return(world), abs=0.02)

    code = run(world.cli("sources", "--format", "json"))
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    ndx_rows = {r["provider"]: r for r in rows if r["symbol"] == "^NDX"}
    assert ndx_rows["fred:NASDAQ100"]["newest"] == "2025-06-30"
    assert ndx_rows["fred:NASDAQ100"]["position"] == 2
    assert ndx_rows["yahoo"]["newest"] is None
    assert "rate limited" in ndx_rows["yahoo"]["last_error"]
    assert ndx_rows["fred:NASDAQ100"]["scale"] == pytest.approx(1.0, abs=1e-4)
    btc_rows = {r["provider"]: r for r in rows if r["symbol"] == "BTC-USD"}
    assert btc_rows["coinbase"]["newest"] == "2025-06-29"
    btc = world.prices("BTC-USD")
    assert {r["provider"] for r in btc if r["date"] >= date(2025, 6, 20)} == {"coinbase"}


def _relative_return(world: World) -> float:
    """btc_vs_ndx on 2025-06-29 from the full histories, computed here independently."""
    btc, ndx = world.full["BTC-USD"]["Close"], world.full["^NDX"]["Close"]

    def ret(series: pd.Series) -> float:
        now, then = series[:"2025-06-29"].iloc[-1], series[:"2025-03-31"].iloc[-1]
        return float(now / then - 1)

    return (ret(btc) - ret(ndx)) * 100


def test_a_fallback_whose_closes_disagree_is_refused_and_recorded(world: World, capsys) -> None:
    world.yahoo.errors["^NDX"] = "possibly delisted; no price data found"
    world.yahoo.history = world.full
    igv = world.full["IGV"]["Close"]  # another series's shape, on ^NDX's scale
    world.fred.csv_by_series["NASDAQ100"] = fred_csv("NASDAQ100", igv * 200)

    (report,) = world.fetch(NOW)

    assert report.status == "partial"  # BTC-USD came from Yahoo
    assert "^NDX: fred:NASDAQ100 refused: closes differ by" in (report.error or "")
    assert world.prices("^NDX")[-1]["date"] == date(2025, 6, 20)  # nothing written
    with session_scope(world.runtime.engine) as session:
        state = session.get(ProviderState, ("^NDX", "fred:NASDAQ100"))
        assert state is not None and "tolerance 0.50%" in (state.refusal or "")

    world.evaluate(NOW)
    values = world.values()
    assert date(2025, 6, 20) in values
    assert date(2025, 6, 29) not in values  # ^NDX stale past its 5 days: no value, as today

    assert run(world.cli("sources", "--format", "json")) == 0
    rows = json.loads(capsys.readouterr().out)
    (fred,) = [r for r in rows if r["provider"] == "fred:NASDAQ100"]
    assert fred["refused"].startswith("closes differ by") and fred["newest"] is None


def test_yahoo_returning_replaces_the_fallback_and_recomputes_only_those_dates(
    world: World,
) -> None:
    world.yahoo.raise_error = YFRateLimitError()
    world.fetch(NOW)
    world.evaluate(NOW)
    before = world.values()

    world.yahoo.raise_error = None
    world.yahoo.history = world.full
    (report,) = world.fetch(NOW)
    assert report.status == "ok"
    later = datetime(2025, 6, 30, 22, 0, tzinfo=UTC)
    reports = world.evaluate(later)

    ndx = world.prices("^NDX")
    assert {r["provider"] for r in ndx} == {"yahoo"}
    expected = world.full["^NDX"]["Close"]
    assert [r["close"] for r in ndx[-6:]] == list(expected[-6:])  # FRED's rounding revised
    # Recomputed from the first revised date (Coinbase's BTC closes equal Yahoo's: no revision).
    assert reports["btc_vs_ndx"].since == GAP[0]
    after = world.values()
    assert all(after[d] == before[d] for d in before if d < GAP[0])
    assert all(after[d][1] == later for d in GAP[:-1])  # its values moved by the revision


def test_a_series_named_in_the_chain_is_asked_for_and_stored_as_the_instrument(
    sqlite_url: str, data_dir: Path, tmp_path: Path
) -> None:
    config_path = tmp_path / "firealarm.toml"
    config_path.write_text('[[instruments]]\nsymbol = "NASDAQ"\nsources = ["yahoo:QQQ"]\n')
    runtime = open_runtime(config_path, sqlite_url)
    yahoo = FakeYahoo({"QQQ": history_from_csv(str(data_dir / "yahoo" / "QQQ.csv"))})
    sources = {"yahoo": YahooSource(download=yahoo.download)}
    (report,) = ingest.fetch(
        runtime.config, runtime.engine, sources, since=date(2025, 6, 2), now=NOW
    )
    with session_scope(runtime.engine) as session:
        rows = prices(session, "NASDAQ")
    runtime.close()
    assert report.status == "ok" and yahoo.calls[0]["tickers"] == ["QQQ"]
    assert len(rows) == 20 and {r["provider"] for r in rows} == {"yahoo:QQQ"}  # June to the 30th


def test_a_fallback_answering_429_is_given_up_for_the_next_one(
    sqlite_url: str, data_dir: Path, tmp_path: Path
) -> None:
    ndx_file = tmp_path / "NDX.csv"
    ndx_file.write_text((data_dir / "yahoo" / "^NDX.csv").read_text())
    config_path = tmp_path / "firealarm.toml"
    config_path.write_text(
        '[fetch]\nbackfill_start = "2025-01-01"\n\n[[instruments]]\nsymbol = "^NDX"\n'
        f'sources = ["yahoo", "fred:NASDAQ100", "csv"]\npath = "{ndx_file}"\n'
    )
    runtime = open_runtime(config_path, sqlite_url)
    full = history_from_csv(str(data_dir / "yahoo" / "^NDX.csv"))
    yahoo = FakeYahoo({"^NDX": full[:"2025-06-20"]})
    throttled = httpx.Response(429, headers={"Retry-After": "7"})
    fred = FakeFred({}, responder=lambda request: throttled)
    sources = {"yahoo": YahooSource(download=yahoo.download), "fred": FredSource(fred.client())}
    sources["csv"] = CsvSource()
    slept: list[float] = []

    def fetch(now: datetime) -> FetchReport:
        (report,) = ingest.fetch(
            runtime.config, runtime.engine, sources, now=now, sleep=slept.append, jitter=lambda: 0.0
        )
        return report

    assert fetch(FIRST).status == "ok"
    yahoo.errors["^NDX"] = "possibly delisted; no price data found"
    report = fetch(NOW)
    with session_scope(runtime.engine) as session:
        rows = prices(session, "^NDX", since=GAP[0])
        fred_state = session.get(ProviderState, ("^NDX", "fred:NASDAQ100"))
        assert fred_state is not None
        fred_error = fred_state.last_error
    runtime.close()
    assert report.status == "partial" and "^NDX: fred:NASDAQ100 failed" in (report.error or "")
    assert len(fred.requests) == 2 and slept == [7.0]  # one retry after Retry-After, then on
    assert "rate limited (429)" in (fred_error or "")
    assert [(r["date"], r["provider"]) for r in rows] == [(d, "csv") for d in GAP]
