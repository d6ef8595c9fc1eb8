"""``usd_liquidity_daily`` = WALCL (weekly, as of) - daily TGA - daily reverse repo, in billions.

The inputs come through the real adapters from recorded responses (see tests/sources): the Daily
Treasury Statement of 2026-08-04 to 2026-09-08 (Treasury Fiscal Data, real values), New York
Fed reverse repo results of 2026-08-19 to 2026-09-08 (Markets Data API layout, illustrative
amounts) served as ``RRPONTSYD``, and FRED's ``WALCL`` CSV with the H.4.1 total assets of
Wednesdays 2026-08-19 (6,745,699) and 2026-08-26 (6,730,912). They are fetched and stored as a
daemon would, evaluated, and compared with a plain pandas computation of the raw responses.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.evaluation import evaluate
from monitor.ingest.group import fetch_group
from monitor.queries.signals import signal_history
from monitor.runtime import Runtime, open_runtime
from monitor.sources.fred import FredSource
from monitor.sources.nyfed import NyFedSource
from monitor.sources.treasury import TreasurySource
from monitor.store.database import session_scope
from tests.fakes.fred import FakeFred
from tests.fakes.http import RECORDED, serving

NOW = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)
WALCL_CSV = "observation_date,WALCL\n2026-08-19,6745699\n2026-08-26,6730912\n"
DTS = "dts_operating_cash_balance_2026-08.json"
RRP = "nyfed_reverserepo_2026-08.json"


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pd.Series:
    """The signal's values after fetching the three inputs and one evaluation."""
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    runtime = open_runtime(None, f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        _fetch(runtime)
        evaluate(runtime, now=NOW)
        with session_scope(runtime.engine) as session:
            rows = signal_history(session, "usd_liquidity_daily")
    finally:
        runtime.close()
    index = pd.DatetimeIndex([pd.Timestamp(r["date"]) for r in rows])
    return pd.Series([r["value"] for r in rows], index=index, dtype=float)


def _fetch(runtime: Runtime) -> None:
    config, engine, since = runtime.config, runtime.engine, date(2026, 8, 1)
    sources = [
        (FredSource(FakeFred({"WALCL": WALCL_CSV}).client()), "WALCL"),
        (TreasurySource(serving(json.loads((RECORDED / DTS).read_text())).client()), "TGA"),
        (NyFedSource(serving(json.loads((RECORDED / RRP).read_text())).client()), "RRPONTSYD"),
    ]
    for source, symbol in sources:
        # Each asked of the adapter under test as its only provider (RRPONTSYD: the NY Fed's).
        only = {"source": source.name, "sources": (source.name,)}
        instruments = [config.instrument(symbol).model_copy(update=only)]
        report = fetch_group(
            config, engine, {source.name: source}, instruments, since=since, now=NOW
        )
        assert report.status == "ok", report.error


def _expected() -> pd.Series:
    """Plain pandas on the raw responses: available dates, as-of joins, staleness, units."""
    dts = pd.DataFrame(json.loads((RECORDED / DTS).read_text())["data"])
    tga = dts[dts["account_type"] == "Treasury General Account (TGA) Closing Balance"]
    tga = pd.Series(
        tga["open_today_bal"].astype(float).to_numpy() / 1000,  # millions -> billions
        index=pd.to_datetime(tga["record_date"]) + pd.Timedelta(days=1),
    )  # next day
    ops = pd.DataFrame(json.loads((RECORDED / RRP).read_text())["repo"]["operations"])
    rrp = ops.groupby(pd.to_datetime(ops["operationDate"]))["totalAmtAccepted"].sum() / 1e9
    walcl = pd.read_csv(pd.io.common.StringIO(WALCL_CSV), parse_dates=["observation_date"])
    walcl = pd.Series(
        walcl["WALCL"].to_numpy() / 1000, index=walcl["observation_date"] + pd.Timedelta(days=1)
    )  # H.4.1: Thursday
    inputs = [(walcl, 10), (tga, 5), (rrp, 5)]  # staleness limits of weekly and daily series
    start = max(series.index.min() for series, _ in inputs)
    dates = sorted(set().union(*(series.index for series, _ in inputs)))
    dates = pd.DatetimeIndex([d for d in dates if d >= start])
    seen = []
    for series, limit in inputs:
        series = series.sort_index()
        known = series.reindex(series.index.union(dates)).ffill().reindex(dates)
        when = (
            pd.Series(series.index, index=series.index)
            .reindex(series.index.union(dates))
            .ffill()
            .reindex(dates)
        )
        seen.append(known.where((dates - pd.DatetimeIndex(when)).days <= limit))
    return (seen[0] - seen[1] - seen[2]).dropna()


def test_usd_liquidity_daily_equals_an_independent_computation(stored: pd.Series) -> None:
    expected = _expected()
    assert len(expected) >= 12  # every day from 2026-08-20 until WALCL goes stale
    assert list(stored.index) == list(expected.index)
    np.testing.assert_allclose(stored.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_it_moves_daily_where_the_weekly_index_cannot(stored: pd.Series) -> None:
    # 2026-08-27 (Thursday): WALCL of Wednesday 08-26 is out; TGA of 08-26; RRP of 08-27.
    expected = 6_730_912 / 1000 - 959_435 / 1000 - 1_611_000_000 / 1e9
    assert stored["2026-08-27"] == pytest.approx(expected, rel=1e-12)
    # 2026-08-28: the same WALCL, a new TGA (08-27) and a new RRP: a new value.
    assert stored["2026-08-28"] != stored["2026-08-27"]
    assert stored.index.max() == pd.Timestamp("2026-09-05")  # WALCL of 08-26, 10 days on
