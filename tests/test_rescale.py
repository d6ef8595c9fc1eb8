"""A dividend or split rescales every earlier adjusted close at Yahoo; one fetch notices it in
the revision window, downloads the history again, and evaluation follows. Both databases.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from monitor.evaluation import evaluate
from monitor.ingest import fetch as ingest
from monitor.runtime import Runtime, open_runtime
from monitor.sources.yahoo import YahooSource
from monitor.store.database import session_scope
from monitor.store.models import Observation
from tests.fakes.yahoo import FakeYahoo, history_from_csv
from tests.signals.helpers import stored_values

SYMBOLS = ["BTC-USD", "^NDX", "IGV", "GLD"]
SINCE = date(2025, 1, 1)
BEFORE = datetime(2025, 6, 20, 21, 0, tzinfo=UTC)  # Friday, after the US close
NOW = datetime(2025, 6, 30, 21, 0, tzinfo=UTC)  # Monday, after the US close


def _real(data_dir: Path) -> dict[str, pd.DataFrame]:
    return {s: history_from_csv(str(data_dir / "yahoo" / f"{s}.csv")) for s in SYMBOLS}


def _until(history: dict[str, pd.DataFrame], day: str) -> dict[str, pd.DataFrame]:
    return {s: frame[frame.index <= day].copy() for s, frame in history.items()}


def _rescale(frame: pd.DataFrame, before: str, factor: float) -> pd.DataFrame:
    """Yahoo after an ex-date: every close before it times one factor."""
    frame = frame.copy()
    frame.loc[frame.index < before, "Close"] *= factor
    return frame


def _fetch(runtime: Runtime, yahoo: FakeYahoo, now: datetime, **options: Any):
    source = YahooSource(download=yahoo.download)
    (report,) = ingest.fetch(
        runtime.config, runtime.engine, {"yahoo": source}, only=SYMBOLS, now=now, **options
    )
    return report


def _prices(runtime: Runtime) -> dict[tuple[str, date], tuple]:
    columns = ("close", "open", "high", "low", "adj_close", "volume", "available_date")
    query = select(
        Observation.symbol, Observation.date, *(getattr(Observation, c) for c in columns)
    )
    with session_scope(runtime.engine) as session:
        return {(row[0], row[1]): tuple(row[2:]) for row in session.execute(query)}


@pytest.fixture
def yahoo(runtime: Runtime, data_dir: Path) -> FakeYahoo:
    """A fake Yahoo whose history up to 20 June 2025 is stored and evaluated."""
    fake = FakeYahoo(_until(_real(data_dir), "2025-06-20"))
    assert _fetch(runtime, fake, BEFORE, since=SINCE).status == "ok"
    evaluate(runtime, now=BEFORE)
    return fake


def test_rescaled_history_is_downloaded_again(
    runtime: Runtime,
    yahoo: FakeYahoo,
    data_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    later = _until(_real(data_dir), "2025-06-30")
    later["IGV"] = _rescale(later["IGV"], "2025-06-24", 0.99)  # a 1 % dividend
    later["GLD"] = _rescale(later["GLD"], "2025-06-23", 0.5)  # a 2-for-1 split
    yahoo.history = later
    calls = len(yahoo.calls)
    with caplog.at_level(logging.INFO, logger="monitor.ingest.fetch"):
        report = _fetch(runtime, yahoo, NOW)
    assert (report.status, report.rescaled) == ("ok", ["IGV", "GLD"])
    assert [(c["tickers"], c["start"]) for c in yahoo.calls[calls:]] == [
        (SYMBOLS, "2025-06-09"),  # the revision window
        (["IGV", "GLD"], "2025-01-02"),  # one more download, of both, from the oldest stored
    ]
    lines = [r.getMessage() for r in caplog.records if "rescaled" in r.getMessage()]
    assert lines == [
        "fetch yahoo: stored closes of IGV, GLD were rescaled upstream (adjusted for a dividend "
        "or split); downloading them again from 2025-01-02"
    ]
    evaluate(runtime, now=NOW)

    fresh = open_runtime(None, f"sqlite:///{tmp_path / 'fresh.db'}")
    assert _fetch(fresh, yahoo, NOW, since=SINCE).status == "ok"
    evaluate(fresh, now=NOW)
    assert _prices(runtime) == _prices(fresh)
    ours, theirs = stored_values(runtime), stored_values(fresh)
    fresh.close()
    assert ours.keys() == theirs.keys()
    assert all(math.isclose(ours[k], theirs[k], rel_tol=1e-12, abs_tol=1e-12) for k in ours)
    assert {s for s, _ in ours} >= {"igv_vs_ndx", "btc_vs_gold", "btc_vs_ndx"}


@pytest.mark.parametrize(
    "revised",
    [{"2025-06-09": 0.99}, {"2025-06-09": 0.99, "2025-06-10": 0.98}, {"2025-06-17": 0.99}],
    ids=["oldest-only", "different-factors", "one-recent"],
)
def test_ordinary_revisions_are_not_a_rescale(
    runtime: Runtime, yahoo: FakeYahoo, revised: dict[str, float]
) -> None:
    for day, factor in revised.items():
        yahoo.history["IGV"].loc[day, "Close"] *= factor
    calls = len(yahoo.calls)
    report = _fetch(runtime, yahoo, NOW)
    assert (report.status, report.rescaled) == ("ok", [])
    assert len(yahoo.calls) == calls + 1
    stored = {d: v[0] for (s, d), v in _prices(runtime).items() if s == "IGV"}
    for day in revised:
        assert stored[date.fromisoformat(day)] == yahoo.history["IGV"].loc[day, "Close"]


def test_a_failed_download_again_stores_the_others_and_the_next_fetch_retries(
    runtime: Runtime, yahoo: FakeYahoo, data_dir: Path
) -> None:
    yahoo.history = {s: f for s, f in _real(data_dir).items() if s != "IGV"} | {
        "IGV": _rescale(_real(data_dir)["IGV"], "2025-06-24", 0.99)
    }
    before = _prices(runtime)
    download = yahoo.download

    def fails_after_the_first(tickers: list[str], **kwargs: Any) -> pd.DataFrame:
        if kwargs["start"] != "2025-06-09":
            raise TimeoutError("read timed out")
        return download(tickers, **kwargs)

    source = YahooSource(download=fails_after_the_first)
    (report,) = ingest.fetch(
        runtime.config,
        runtime.engine,
        {"yahoo": source},
        only=SYMBOLS,
        now=NOW,
        sleep=lambda seconds: None,
    )
    assert report.status == "partial" and report.rescaled == ["IGV"]
    assert "history of IGV not re-read" in report.error and "timed out" in report.error
    after = _prices(runtime)
    igv = {key: value for key, value in after.items() if key[0] == "IGV"}
    assert igv == {key: value for key, value in before.items() if key[0] == "IGV"}  # one scale
    assert ("^NDX", date(2025, 6, 30)) in after  # the others' new bars are stored
    assert _fetch(runtime, yahoo, NOW).rescaled == ["IGV"]
    assert _prices(runtime)[("IGV", date(2025, 6, 2))] != before[("IGV", date(2025, 6, 2))]
