"""Properties of the evaluator that must hold for any series (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from monitor.queries.alerts import alert_events
from monitor.rules.backtest import backtest
from monitor.rules.evaluator import AlertState, evaluate_rule
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery, RuleState, SignalValue
from tests.rules.conftest import evaluate, put_values
from tests.rules.helpers import daily, rule

WEEK = timedelta(days=7)
values = st.lists(st.floats(-30, 10, allow_nan=False), min_size=1, max_size=60)


@given(series=values, n=st.integers(1, 6))
def test_for_n_never_fires_before_n_consecutive_true_dates(series: list[float], n: int) -> None:
    _, decisions = evaluate_rule(
        rule(**{"for": n}), daily(series), AlertState(), repeat_interval=WEEK
    )
    for i, decision in enumerate(decisions):
        if decision.reason == "first firing":
            window = series[max(0, i - n + 1) : i + 1]
            assert len(window) == n and all(v < -10 for v in window)


@given(
    series=st.lists(st.floats(-10.0, -5.0, exclude_max=True), min_size=1, max_size=60),
    start=st.floats(-30, -10.5),
)
def test_hysteresis_never_flaps_between_threshold_and_clear(
    series: list[float], start: float
) -> None:
    # Fire once below -10; afterwards oscillate anywhere in [-10, -5): never resolve, never refire.
    r = rule(clear_threshold=-5.0)
    _, decisions = evaluate_rule(r, daily([start, *series]), AlertState(), repeat_interval=WEEK)
    assert [d.reason for d in decisions if d.event and d.reason != "repeat due"] == ["first firing"]
    assert all(d.state == "firing" for d in decisions)


@given(series=values, split=st.integers(0, 60))
def test_evaluating_in_two_runs_equals_one_run(series: list[float], split: int) -> None:
    r = rule(**{"for": 2}, clear_threshold=-4.0, keep_firing_for=1)
    whole_state, whole = evaluate_rule(r, daily(series), AlertState(), repeat_interval=WEEK)
    state, first = evaluate_rule(r, daily(series)[:split], AlertState(), repeat_interval=WEEK)
    state, second = evaluate_rule(r, daily(series), state, repeat_interval=WEEK)
    assert first + second == whole and state == whole_state


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    drawdown=st.lists(st.floats(-60, 0), min_size=1, max_size=25),
    gold=st.lists(st.floats(-50, 10), min_size=1, max_size=25),
)
def test_backtest_equals_day_by_day_persisted_evaluation(
    sqlite_runtime: Runtime, drawdown: list[float], gold: list[float]
) -> None:
    rt = sqlite_runtime
    with session_scope(rt.engine) as session:
        for table in (Delivery, AlertEvent, RuleState, SignalValue):
            session.execute(delete(table))
    put_values(rt, "btc_drawdown", daily(drawdown))
    put_values(rt, "btc_vs_gold", daily(gold)[::2])  # a sparser series, like a weekly one
    for day, _ in daily([0.0] * max(len(drawdown), len(gold))):
        evaluate(rt, day)
    fields = ("rule", "state", "date", "value", "reason", "summary")
    with session_scope(rt.engine) as session:
        stored = [tuple(e[f] for f in fields) for e in alert_events(session)]
        replayed = [tuple(e[f] for f in fields) for e in backtest(session, rt.config)]
    assert sorted(stored, key=str) == sorted(replayed, key=str)
