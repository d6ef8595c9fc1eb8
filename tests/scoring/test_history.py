"""The score of every default rule on the bundled real history equals an independent computation
(plain loops over calendar days, closes read from the CSV files), and hand-checked episodes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from monitor.config import Config
from monitor.queries.score import ScoreRequest, backtest_score
from monitor.queries.signals import signal_history
from monitor.rules.backtest import backtest
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from tests.scoring.reference import csv_closes, reference_score

REQUESTS = [
    ScoreRequest(),
    ScoreRequest(
        targets=("BTC-USD", "XLF", "KRE"),
        drawdown=15.0,
        horizon=30,
        since=date(2010, 1, 1),
        until=date(2024, 12, 31),  # outcomes after --until still count: they are what followed
    ),
    ScoreRequest(targets=("^NDX",), drawdown=5.0, horizon=200, since=date(2024, 1, 1)),
]


def _evaluated(rt: Runtime, request: ScoreRequest) -> dict[str, list[date]]:
    """Per rule, the dates its signal has a stored value in the range (the stage: any staged)."""
    config: Config = rt.config
    staged = {name for names in config.stage.stages for name in names}
    by_signal: dict[str, list[date]] = {}
    with session_scope(rt.engine) as session:
        for rule in config.rules:
            if rule.signal != config.stage.id:
                rows = signal_history(session, rule.signal, request.since, request.until)
                by_signal[rule.signal] = [r["date"] for r in rows]
    stage_days = sorted({d for r in config.rules if r.name in staged for d in by_signal[r.signal]})
    return {
        r.name: stage_days if r.signal == config.stage.id else by_signal[r.signal]
        for r in config.rules
    }


def _expected(rt: Runtime, request: ScoreRequest) -> tuple[list[dict], list[dict]]:
    with session_scope(rt.engine) as session:
        events = backtest(session, rt.config, since=request.since, until=request.until)
    evaluated = _evaluated(rt, request)
    targets = request.targets or ("^NDX", "KRE")
    closes = {t: csv_closes(t) for t in targets}
    rows, listed = [], []
    for rule in rt.config.rules:
        transitions = [(e["date"], e["state"]) for e in events if e["rule"] == rule.name]
        for target in targets:
            row, episodes = reference_score(
                rule.name,
                transitions,
                evaluated[rule.name],
                target,
                closes[target],
                request.drawdown,
                request.horizon,
            )
            rows.append(row)
            listed.extend(episodes)
    return rows, listed


def _approx(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: pytest.approx(v, rel=1e-9) if isinstance(v, float) else v for k, v in row.items()}
        for row in rows
    ]


@pytest.mark.parametrize("request_", REQUESTS, ids=["defaults", "since-2010", "short-range"])
def test_every_metric_equals_the_independent_computation(
    history: Runtime, request_: ScoreRequest
) -> None:
    with session_scope(history.engine) as session:
        rows, listed = backtest_score(session, history.config, request_)
    want_rows, want_listed = _expected(history, request_)
    key = lambda r: (r["rule"], r["target"])  # noqa: E731
    assert sorted(rows, key=key) == _approx(sorted(want_rows, key=key))
    order = lambda e: (e["rule"], e["target"], e["start"])  # noqa: E731
    assert sorted(listed, key=order) == _approx(sorted(want_listed, key=order))
    # real episodes of each kind, not an empty comparison
    assert sum(r["episodes"] for r in rows) >= 10
    assert 0 < sum(r["hits"] for r in rows) < sum(r["episodes"] for r in rows)


def test_the_svb_stage_episode_and_its_kre_drawdown(history: Runtime) -> None:
    request = ScoreRequest(targets=("KRE",), rules=("fire_alarm_stage",), since=date(2010, 1, 1))
    with session_scope(history.engine) as session:
        _, listed = backtest_score(session, history.config, request)
    svb = next(e for e in listed if e["start"] == date(2023, 3, 10))
    # Hand-checked in monitor/data/yahoo/KRE.csv: 45.7854 on Friday 2023-03-10 (SVB closed that
    # day), the low within 90 days 32.8637 on 2023-05-04 (PacWest), 55 days later.
    assert svb["end"] == date(2023, 4, 3)
    assert svb["drawdown_pct"] == pytest.approx(100 * (32.86366271972656 / 45.785438537597656 - 1))
    assert round(svb["drawdown_pct"], 2) == -28.22
    assert (svb["lead_days"], svb["hit"]) == (55, True)
    nycb = next(e for e in listed if e["start"] == date(2024, 2, 7))  # New York Community Bancorp
    assert nycb["hit"] is False


def test_an_episode_near_the_end_of_the_closes_is_incomplete(history: Runtime) -> None:
    # btc_vs_gold fires 2025-03-17; 120 days reach past the last close (2025-06-30).
    request = ScoreRequest(targets=("^NDX",), horizon=120, rules=("btc_vs_gold",))
    with session_scope(history.engine) as session:
        rows, listed = backtest_score(session, history.config, request)
    late = next(e for e in listed if e["start"] == date(2025, 3, 17))
    assert (late["drawdown_pct"], late["lead_days"], late["hit"]) == (None, None, None)
    assert rows[0]["incomplete"] >= 1
    assert rows[0]["episodes"] == sum(1 for e in listed if e["drawdown_pct"] is not None)
