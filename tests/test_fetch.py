"""Fetching into the store through the real adapters and fake vendor boundaries."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import func, select

from monitor.ingest import fetch as ingest
from monitor.ingest import group
from monitor.queries.prices import prices
from monitor.runtime import Runtime
from monitor.sources.base import normalised
from monitor.sources.fred import FredSource
from monitor.sources.yahoo import YahooSource
from monitor.store.database import session_scope
from monitor.store.models import FetchRun, Observation, RejectedRow
from tests.fakes.fred import FakeFred, recorded
from tests.fakes.yahoo import FakeYahoo, history_from_csv

# Monday 2025-06-30, 17:00 in New York: the day's equity bar is closed, Bitcoin's is not.
NOW = datetime(2025, 6, 30, 21, 0, tzinfo=UTC)
YAHOO = ("BTC-USD", "IGV", "^NDX")
FRED = ("WALCL", "RRPONTSYD")


@pytest.fixture
def fakes(data_dir: Path) -> tuple[FakeYahoo, FakeFred]:
    yahoo = FakeYahoo({s: history_from_csv(str(data_dir / "yahoo" / f"{s}.csv")) for s in YAHOO})
    return yahoo, FakeFred(recorded(data_dir, *FRED))


def _sources(fakes: tuple[FakeYahoo, FakeFred]) -> dict:
    yahoo, fred = fakes
    return {"yahoo": YahooSource(download=yahoo.download), "fred": FredSource(fred.client())}


def _runs(runtime: Runtime) -> list[FetchRun]:
    with session_scope(runtime.engine) as session:
        return list(session.scalars(select(FetchRun).order_by(FetchRun.id)))


def test_backfill_then_incremental(runtime: Runtime, fakes, data_dir: Path) -> None:
    only = [*YAHOO, *FRED]
    reports = ingest.fetch(
        runtime.config, runtime.engine, _sources(fakes), only=only, since=date(2025, 1, 1), now=NOW
    )
    assert [(r.source, r.status) for r in reports] == [("yahoo", "ok"), ("fred", "ok")]
    with session_scope(runtime.engine) as session:
        btc = prices(session, "BTC-USD")
        igv = prices(session, "IGV")
        walcl = prices(session, "WALCL")
    assert btc[-1]["date"] == date(2025, 6, 29)  # 2025-06-30's bar closes at 00:00 UTC 07-01
    assert igv[-1]["date"] == date(2025, 6, 30)
    expected = history_from_csv(str(data_dir / "yahoo" / "IGV.csv"))["Close"]["2025-01-01":]
    assert [r["close"] for r in igv] == pytest.approx(list(expected), rel=1e-12)
    assert walcl[-1]["available_date"] == date(2025, 6, 26)  # H.4.1 comes the day after

    yahoo, _ = fakes
    ingest.fetch(runtime.config, runtime.engine, _sources(fakes), only=["IGV"], now=NOW)
    assert yahoo.calls[-1]["start"] == "2025-06-20"  # last stored date minus the revision window
    with session_scope(runtime.engine) as session:
        count = session.scalar(select(func.count()).where(Observation.symbol == "IGV"))
    assert count == len(igv)
    assert [r.status for r in _runs(runtime)] == ["ok", "ok", "ok"]


def test_a_revised_value_in_the_window_lands(runtime: Runtime, fakes) -> None:
    yahoo, _ = fakes
    ingest.fetch(
        runtime.config,
        runtime.engine,
        _sources(fakes),
        only=["IGV"],
        since=date(2025, 6, 1),
        now=NOW,
    )
    yahoo.history["IGV"].loc["2025-06-25", "Close"] = 123.0
    ingest.fetch(runtime.config, runtime.engine, _sources(fakes), only=["IGV"], now=NOW)
    with session_scope(runtime.engine) as session:
        revised = {r["date"]: r["close"] for r in prices(session, "IGV")}
    assert revised[date(2025, 6, 25)] == 123.0


def test_failed_source_keeps_data_and_records_reason(runtime: Runtime, fakes) -> None:
    yahoo, _ = fakes
    ingest.fetch(
        runtime.config,
        runtime.engine,
        _sources(fakes),
        only=["IGV", "WALCL"],
        since=date(2025, 6, 1),
        now=NOW,
    )
    with session_scope(runtime.engine) as session:
        before = prices(session, "IGV")
    yahoo.errors["IGV"] = "possibly delisted; no price data found"
    reports = ingest.fetch(
        runtime.config,
        runtime.engine,
        _sources(fakes),
        only=["IGV", "WALCL"],
        now=NOW,
        sleep=lambda s: None,
    )
    assert [(r.source, r.status) for r in reports] == [("yahoo", "failed"), ("fred", "ok")]
    failed = _runs(runtime)[-2]
    assert failed.status == "failed" and "empty response" in (failed.error or "")
    assert failed.finished_at is not None
    with session_scope(runtime.engine) as session:
        assert prices(session, "IGV") == before


def test_rate_limit_is_retried_after_the_requested_delay(runtime: Runtime, data_dir) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "30"}), httpx.Response(503)])
    fake = FakeFred(recorded(data_dir, "WALCL"), responder=lambda request: next(answers, None))
    slept: list[float] = []
    (report,) = ingest.fetch(
        runtime.config,
        runtime.engine,
        {"fred": FredSource(fake.client())},
        only=["WALCL"],
        now=NOW,
        sleep=slept.append,
        jitter=lambda: 0.0,
    )
    assert report.status == "ok" and report.rows == 965
    assert slept == [30.0, 4.0]  # Retry-After honoured, then exponential backoff (2 s, 4 s)


def test_retries_exhausted_records_a_failed_run(runtime: Runtime) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    fake = FakeFred({}, responder=down)
    (report,) = ingest.fetch(
        runtime.config,
        runtime.engine,
        {"fred": FredSource(fake.client())},
        only=["WALCL"],
        now=NOW,
        sleep=lambda s: None,
    )
    assert report.status == "failed" and "ConnectError" in (report.error or "")
    assert len(fake.requests) == runtime.config.fetch.retries + 1
    with session_scope(runtime.engine) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 0


def _unresolvable(request: httpx.Request) -> httpx.Response:
    try:
        raise socket.gaierror(-2, "Name or service not known")
    except socket.gaierror as exc:  # how httpx raises it: from the resolver's error
        raise httpx.ConnectError(str(exc), request=request) from exc


def test_a_host_that_does_not_resolve_is_tried_twice_not_four_times(runtime: Runtime) -> None:
    fake, slept = FakeFred({}, responder=_unresolvable), []
    sources = {"fred": FredSource(fake.client())}
    (report,) = ingest.fetch(
        runtime.config, runtime.engine, sources, only=["WALCL"], now=NOW, sleep=slept.append
    )
    assert runtime.config.fetch.retries == 3
    assert report.status == "failed" and "Name or service not known" in (report.error or "")
    assert len(fake.requests) == 2 and len(slept) == 1


def test_yahoo_reporting_an_unresolvable_host_is_tried_twice(runtime: Runtime) -> None:
    message = "Failed to get ticker 'IGV' reason: Could not resolve host: query2.finance.yahoo.com"
    fake = FakeYahoo({}, errors={"IGV": message})
    sources = {"yahoo": YahooSource(download=fake.download)}
    (report,) = ingest.fetch(
        runtime.config, runtime.engine, sources, only=["IGV"], now=NOW, sleep=lambda s: None
    )
    assert report.status == "failed" and "did not resolve" in (report.error or "")
    assert len(fake.calls) == 2


class _BadRows:
    """A source returning a mix of good and malformed rows."""

    name = "yahoo"

    def fetch(self, instruments, start, end=None) -> pd.DataFrame:
        return normalised(
            pd.DataFrame(
                {
                    "symbol": ["IGV"] * 5,
                    "date": [
                        date(2025, 6, 2),
                        date(2025, 6, 3),
                        date(2025, 6, 4),
                        date(2025, 6, 4),
                        "not a date",
                    ],
                    "close": [100.0, -1.0, 101.0, 102.0, 5.0],
                }
            )
        )


def test_invalid_rows_are_rejected_with_reasons(runtime: Runtime) -> None:
    (report,) = ingest.fetch(
        runtime.config, runtime.engine, {"yahoo": _BadRows()}, only=["IGV"], now=NOW
    )
    assert (report.status, report.rows, report.rejected) == ("ok", 1, 4)
    with session_scope(runtime.engine) as session:
        reasons = sorted(r.reason for r in session.scalars(select(RejectedRow)))
        stored = prices(session, "IGV")
    assert reasons == [
        "duplicate date in one batch",
        "duplicate date in one batch",
        "non-positive close: -1.0",
        "unparseable date 'not a date'",
    ]
    assert [(r["date"], r["close"]) for r in stored] == [(date(2025, 6, 2), 100.0)]


def test_a_rate_limit_is_retried_once_with_jitter_then_given_up_for_the_run() -> None:
    from monitor.errors import RateLimitedError
    from monitor.ingest.retry import Pacing

    calls, slept = [], []

    def throttled() -> None:
        calls.append(1)
        raise RateLimitedError("fred: WALCL: rate limited (429)", retry_after=10.0)

    pacing = Pacing(retries=3, backoff=2.0, rate_limit_retries=1, sleep=slept.append)
    pacing.jitter = lambda: 0.5
    with pytest.raises(RateLimitedError):
        pacing.call("fred", throttled)
    assert len(calls) == 2 and slept == [12.5]  # Retry-After, stretched by a quarter
    with pytest.raises(RateLimitedError, match="not asked again"):
        pacing.call("fred", throttled)
    assert len(calls) == 2 and pacing.limited == {"fred"}


def test_a_job_of_several_sources_is_failed_only_when_every_run_failed() -> None:
    ok = group.FetchReport("yahoo", ["IGV"], "ok", rows=3)
    failed = group.FetchReport("coinbase", ["BTC-USD"], "failed", error="HTTP 503")
    report = group.combined([ok, failed])
    assert (report.status, report.rows, report.error) == ("partial", 3, "coinbase: HTTP 503")
    assert group.combined([failed, failed]).status == "failed"
