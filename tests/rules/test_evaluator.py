"""The lifecycle of one rule: pending, firing, repeats, hysteresis, keep_firing_for, crossings."""

from __future__ import annotations

from datetime import timedelta

from monitor.rules.evaluator import AlertState, evaluate_rule
from tests.rules.helpers import START, daily, rule

WEEK = timedelta(days=7)


def run(r, values, state=None, interval=WEEK):
    return evaluate_rule(r, daily(values), state or AlertState(), repeat_interval=interval)


def events(decisions):
    return [(d.date, d.state, d.reason) for d in decisions if d.event]


def test_for_three_records_pending_then_fires_on_the_third_true_date() -> None:
    state, decisions = run(rule(**{"for": 3}), [-5, -11, -12, -13, -14])
    assert events(decisions) == [
        (START + timedelta(1), "pending", "pending"),
        (START + timedelta(3), "firing", "first firing"),
    ]
    assert [d.reason for d in decisions][2] == "still pending"
    assert state.state == "firing" and state.active_since == START + timedelta(1)


def test_for_one_fires_on_the_first_true_date_without_pending() -> None:
    _, decisions = run(rule(), [-5, -11])
    assert events(decisions) == [(START + timedelta(1), "firing", "first firing")]
    assert decisions[1].notify


def test_pending_that_breaks_goes_back_to_inactive_silently() -> None:
    state, decisions = run(rule(**{"for": 3}), [-11, -12, -5, -11])
    assert [e[1:] for e in events(decisions)] == [
        ("pending", "pending"),
        ("inactive", "pending cleared"),
        ("pending", "pending"),
    ]
    assert not any(d.notify for d in decisions)
    assert state.true_count == 1


def test_hysteresis_keeps_firing_until_past_the_clear_threshold() -> None:
    r = rule(clear_threshold=-5.0)
    _, decisions = run(r, [-11, -8, -6, -5, -11])
    assert [d.reason for d in decisions] == [
        "first firing",
        "suppressed by hysteresis",
        "suppressed by hysteresis",
        "resolved",
        "first firing",
    ]


def test_keep_firing_for_delays_resolution() -> None:
    _, decisions = run(rule(keep_firing_for=2), [-11, 0, 0, -11, 0, 0, 0])
    assert [d.reason for d in decisions] == [
        "first firing",
        "kept by keep_firing_for",
        "kept by keep_firing_for",
        "still firing",
        "kept by keep_firing_for",
        "kept by keep_firing_for",
        "resolved",
    ]


def test_repeat_notifies_once_per_interval_and_resolved_respects_send_resolved() -> None:
    _, decisions = run(rule(send_resolved=False), [-11] * 15 + [0], interval=timedelta(days=7))
    notified = [(d.date - START).days for d in decisions if d.notify]
    assert notified == [0, 7, 14]
    assert decisions[-1].state == "resolved" and decisions[-1].event and not decisions[-1].notify


def test_rule_repeat_interval_overrides_the_default() -> None:
    _, decisions = run(rule(repeat_interval="2d"), [-11] * 5)
    assert [(d.date - START).days for d in decisions if d.reason == "repeat due"] == [2, 4]


def test_crosses_below_fires_on_the_crossing_only() -> None:
    r = rule(op="crosses_below", threshold=0.0)
    _, decisions = run(r, [-1, -2, 1, -1, -2, 3])
    assert [e[1:] for e in events(decisions)] == [
        ("firing", "first firing"),
        ("resolved", "resolved"),
    ]
    assert [(e[0] - START).days for e in events(decisions)] == [3, 5]


def test_crosses_above_uses_the_value_stored_in_the_previous_state() -> None:
    r = rule(op="crosses_above", threshold=5.0)
    state, _ = run(r, [1.0])
    _, decisions = evaluate_rule(r, [(START + timedelta(1), 6.0)], state, repeat_interval=WEEK)
    assert decisions[0].reason == "first firing"


def test_dates_already_evaluated_are_skipped() -> None:
    r = rule(**{"for": 2})
    state, _ = run(r, [-11, -12, -13])
    again, second = run(r, [-11, -12, -13, -14], state=state)
    assert [d.date for d in second] == [START + timedelta(3)]
    assert events(second) == []
    assert again.state == "firing"


def test_greater_or_equal_fires_at_the_threshold_and_resolves_only_past_the_clear() -> None:
    _, decisions = run(rule(op=">=", threshold=3.0, clear_threshold=2.0), [2, 3, 2.5, 2, 1.9])
    assert [d.state for d in decisions] == ["inactive", "firing", "firing", "firing", "resolved"]
