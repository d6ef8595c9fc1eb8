"""Incremental evaluation equals a full recompute and rewrites only what depends on new data.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import default_config_text
from monitor.evaluation import evaluate
from monitor.ingest import fetch as ingest
from monitor.runtime import Runtime, open_runtime
from tests.signals.helpers import computed_at, real_slice, stored_values

SYMBOLS = ["BTC-USD", "^NDX", "GLD", "WALCL", "WTREGEN", "RRPONTSYD"]
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _import(runtime: Runtime, files: list[Path]) -> None:
    ingest.import_files(runtime.config, runtime.engine, files)


def _slices(data_dir: Path, out: Path, until: str, scale=None) -> list[Path]:
    scale = scale or {}
    return [real_slice(data_dir, out, s, "2024-01-01", until, scale.get(s)) for s in SYMBOLS]


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        math.isclose(a[k], b[k], rel_tol=1e-12, abs_tol=1e-12) for k in a
    )


def test_incremental_equals_full(runtime: Runtime, data_dir: Path, tmp_path: Path) -> None:
    _import(runtime, _slices(data_dir, tmp_path / "q1", "2025-03-31"))
    first = evaluate(runtime, now=NOW)
    assert all(r.since is None for r in first.signals)  # nothing stored yet: full
    _import(runtime, _slices(data_dir, tmp_path / "q2", "2025-06-30"))
    second = evaluate(runtime, now=NOW + timedelta(days=1))
    assert {r.since for r in second.signals if r.values} == {date(2025, 3, 31)}
    incremental = stored_values(runtime)
    full = evaluate(runtime, now=NOW + timedelta(days=2), full=True)
    assert sum(r.written + r.deleted for r in full.signals) == 0
    assert _same(stored_values(runtime), incremental)
    assert max(d for (s, d) in incremental if s == "btc_vs_ndx") == date(2025, 6, 30)


def test_revision_updates_exactly_the_dependent_values(
    runtime: Runtime, data_dir: Path, tmp_path: Path
) -> None:
    _import(runtime, _slices(data_dir, tmp_path / "a", "2025-06-30"))
    evaluate(runtime, now=NOW)
    before_values, before_written = stored_values(runtime), computed_at(runtime)

    # Late corrections inside the revision window: a lower BTC close (not a new high) and a
    # higher Fed balance sheet for Wednesday 2025-06-18, published Thursday 2025-06-19.
    revised = _slices(
        data_dir,
        tmp_path / "b",
        "2025-06-30",
        {"BTC-USD": {"2025-06-25": 0.9}, "WALCL": {"2025-06-18": 1.01}},
    )
    _import(runtime, [p for p in revised if p.stem in ("BTC-USD", "WALCL")])
    evaluate(runtime, now=NOW + timedelta(days=1))
    after_written = computed_at(runtime)

    rewritten = {k for k in after_written if after_written[k] != before_written.get(k)}
    btc_day = date(2025, 6, 25)
    walcl_days = {date(2025, 6, 19) + timedelta(days=i) for i in range(7)}  # until 06-26
    expected = {(s, btc_day) for s in ("btc_vs_ndx", "btc_vs_gold", "btc_drawdown")}
    expected |= {
        (s, d)
        for s in ("usd_liquidity", "usd_liquidity_13w")
        for d in walcl_days
        if (s, d) in before_values
    }
    assert rewritten == expected
    assert len(expected) > 6
    for key in expected:
        assert stored_values(runtime)[key] != before_values[key]
    # And the result is what a full recompute gives.
    full = evaluate(runtime, now=NOW + timedelta(days=2), full=True)
    assert sum(r.written + r.deleted for r in full.signals) == 0


def test_values_that_become_stale_are_removed(
    db_url: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    lenient = tmp_path / "lenient.toml"
    lenient.write_text(
        default_config_text().replace(
            'symbol = "^NDX"\nsources = ["yahoo", "fred:NASDAQ100"]',
            'symbol = "^NDX"\nsources = ["yahoo", "fred:NASDAQ100"]\nstaleness_days = 30',
        )
    )
    files = _slices(data_dir, tmp_path / "d", "2025-06-30")
    files[1] = real_slice(data_dir, tmp_path / "ndx", "^NDX", "2024-01-01", "2025-06-20")
    runtime = open_runtime(lenient, db_url)
    _import(runtime, files)
    evaluate(runtime, now=NOW)
    late = {d for (s, d) in stored_values(runtime) if s == "btc_vs_ndx" and d > date(2025, 6, 25)}
    assert late == {date(2025, 6, d) for d in range(26, 31)}  # ^NDX up to 10 days old: allowed
    runtime.close()

    runtime = open_runtime(None, db_url)  # default limit: 5 days for a daily series
    report = evaluate(runtime, now=NOW + timedelta(days=1))
    stored = stored_values(runtime)
    runtime.close()
    assert {d for (s, d) in stored if s == "btc_vs_ndx" and d > date(2025, 6, 25)} == set()
    assert next(r for r in report.signals if r.signal == "btc_vs_ndx").deleted == 5
    assert (("btc_vs_ndx", date(2025, 6, 25))) in stored


def test_as_of_ignores_later_data_and_leaves_later_values(
    runtime: Runtime, data_dir: Path, tmp_path: Path
) -> None:
    _import(runtime, _slices(data_dir, tmp_path / "e", "2025-06-30"))
    evaluate(runtime, now=NOW)
    everything = stored_values(runtime)
    report = evaluate(runtime, as_of=date(2025, 3, 31), now=NOW, full=True)
    assert all(r.latest is None or r.latest <= date(2025, 3, 31) for r in report.signals)
    assert sum(r.written + r.deleted for r in report.signals) == 0
    assert stored_values(runtime) == everything


def test_observation_waits_for_its_available_date(runtime: Runtime, data_dir: Path) -> None:
    # Q1 2025 card delinquencies (dated 2025-01-01) count from 31 March + 60 days = 30 May.
    _import(runtime, [data_dir / "fred" / "DRCCLACBS.csv"])
    evaluate(runtime, now=datetime(2025, 5, 29, 23, tzinfo=UTC))
    before = {d: v for (s, d), v in stored_values(runtime).items() if s == "card_delinquency"}
    assert max(before) == date(2025, 3, 1)
    evaluate(runtime, now=datetime(2025, 5, 30, 1, tzinfo=UTC))
    after = {d: v for (s, d), v in stored_values(runtime).items() if s == "card_delinquency"}
    assert max(after) == date(2025, 5, 30) and after[date(2025, 5, 30)] == 3.06
