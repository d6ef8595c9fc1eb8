"""The price-compatibility test a fallback must pass before it fills a series."""

from __future__ import annotations

from datetime import date, timedelta

from monitor.ingest.compatible import judge

DAYS = [date(2025, 4, 1) + timedelta(days=n) for n in range(60)]
STORED = {d: 100.0 + n for n, d in enumerate(DAYS)}


def test_one_constant_factor_is_fitted_and_accepted() -> None:
    unadjusted = {d: close / 0.98 for d, close in STORED.items()}  # a dividend's adjustment
    verdict = judge(STORED, unadjusted, tolerance=0.005)
    assert verdict.accepted and abs(verdict.scale - 0.98) < 1e-12


def test_one_date_beyond_the_tolerance_refuses_naming_it() -> None:
    offered = dict(STORED) | {DAYS[30]: STORED[DAYS[30]] * 1.01}
    verdict = judge(STORED, offered, tolerance=0.005)
    assert not verdict.accepted
    assert verdict.reason is not None and str(DAYS[30]) in verdict.reason
    assert "1.00%" in verdict.reason and "60 dates compared" in verdict.reason


def test_no_stored_history_accepts_and_too_little_overlap_refuses() -> None:
    assert judge({}, STORED, tolerance=0.005).accepted
    few = {d: STORED[d] for d in DAYS[:4]}
    verdict = judge(STORED, few, tolerance=0.005)
    assert not verdict.accepted and "only 4 of the last 60" in (verdict.reason or "")
