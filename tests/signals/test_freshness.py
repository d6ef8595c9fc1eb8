"""instrument_freshness: each instrument's latest available date and staleness on a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from monitor.config import default_config_text, parse_config
from monitor.ingest import fetch as ingest
from monitor.runtime import Runtime
from monitor.signals.freshness import instrument_freshness, instruments_of
from monitor.store.database import session_scope


def test_freshness_per_instrument(runtime: Runtime, data_dir: Path) -> None:
    files = [data_dir / "fred" / "WALCL.csv", data_dir / "fred" / "DRCCLACBS.csv"]
    ingest.import_files(runtime.config, runtime.engine, files)
    with session_scope(runtime.engine) as session:
        on_july = {
            f.symbol: f for f in instrument_freshness(session, runtime.config, date(2025, 7, 6))
        }
        later = {
            f.symbol: f for f in instrument_freshness(session, runtime.config, date(2025, 7, 7))
        }
        past = {
            f.symbol: f for f in instrument_freshness(session, runtime.config, date(2025, 5, 29))
        }
    assert list(on_july) == [i.symbol for i in runtime.config.instruments]
    walcl = on_july["WALCL"]
    assert (walcl.latest_available, walcl.age_days, walcl.limit_days) == (date(2025, 6, 26), 10, 10)
    assert not walcl.stale and later["WALCL"].stale  # 11 days > the weekly limit of 10
    assert (
        on_july["DRCCLACBS"].latest_available == date(2025, 5, 30)
        and not on_july["DRCCLACBS"].stale
    )
    assert past["DRCCLACBS"].latest_available == date(2025, 3, 1)  # Q4 2024: 31 Dec + 60 days
    btc = on_july["BTC-USD"]
    assert btc.latest_available is None and btc.stale and btc.source == "yahoo"


def test_instruments_of_follows_signal_inputs() -> None:
    config = parse_config(default_config_text())
    assert instruments_of(config, "usd_liquidity_13w") == ["WALCL", "WTREGEN", "RRPONTSYD"]
    assert instruments_of(config, "btc_vs_ndx") == ["BTC-USD", "^NDX"]
    assert instruments_of(config, "GLD") == ["GLD"]
