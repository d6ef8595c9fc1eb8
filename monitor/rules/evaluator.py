"""One rule over a signal's values, in date order: a pure function of (rule, values, state).

States: inactive → pending → firing → resolved (→ pending or firing again). Each evaluated date
yields a :class:`Decision` saying what happened and why; decisions that are transitions
(``event``) are what gets stored as alert events, and those that notify are what gets sent.

Semantics (the rule keys are described in the README, "Alert rules"):

- ``for = N``: the condition must hold on N consecutive *evaluated* dates (dates that have a
  signal value) before the rule fires. The first true date records ``pending`` when N > 1; with
  N = 1 the rule fires on the first true date and no ``pending`` event is recorded (like
  Prometheus with ``for: 0``). A pending rule whose condition fails goes back to inactive
  (event ``inactive``, reason "pending cleared", never notified).
- ``crosses_above``/``crosses_below``: the rule enters on the crossing between the previous
  evaluated value and this one (``prev <= threshold < value`` or ``prev >= threshold > value``);
  it then stays pending/firing while the value remains on the crossed side, like ``>``/``<``.
- ``clear_threshold`` (hysteresis): a firing rule resolves only once the value is past the clear
  threshold (``not value < clear`` for the ``<`` family); between threshold and clear threshold
  it stays firing ("suppressed by hysteresis").
- ``keep_firing_for = K``: after the condition stops, the rule stays firing K more evaluated
  dates; it resolves on the (K+1)th date in a row without the condition.
- ``repeat_interval``: while firing, a repeat notification is due once the observation date is
  at least the interval after the last notified one. Measured in observation dates, not wall
  time, so a backtest and a day-by-day evaluation make the same decisions.
- ``send_resolved``: whether the ``resolved`` event notifies.

Dates at or before the state's ``last_date`` were already evaluated and are skipped, which
makes re-running an evaluation a no-op. A date with no value (a stale input) is not evaluated,
so the rule keeps its last state.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from monitor.config import RuleConfig

INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"

# Reasons, stored with every event and shown by `firealarm backtest`.
CONDITION_FALSE = "condition false"
BECAME_PENDING = "pending"
STILL_PENDING = "still pending"
PENDING_CLEARED = "pending cleared"
FIRST_FIRING = "first firing"
STILL_FIRING = "still firing"
REPEAT_DUE = "repeat due"
HYSTERESIS = "suppressed by hysteresis"
KEPT_FIRING = "kept by keep_firing_for"
RESOLVED_REASON = "resolved"

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "crosses_above": operator.gt,
    "crosses_below": operator.lt,
}


@dataclass(frozen=True)
class AlertState:
    """Where one alert stands after its last evaluated date (a ``rule_states`` row)."""

    state: str = INACTIVE
    last_date: date | None = None
    last_value: float | None = None
    true_count: int = 0
    false_count: int = 0
    active_since: date | None = None
    last_notified_date: date | None = None


@dataclass(frozen=True)
class Decision:
    """What one evaluated date did: the state after it, why, and whether to store or send it."""

    date: date
    value: float
    state: str
    reason: str
    event: bool = False
    notify: bool = False


def enters(rule: RuleConfig, previous: float | None, value: float) -> bool:
    """Whether ``value`` (after ``previous``) starts the condition."""
    if rule.op == "crosses_above":
        return previous is not None and previous <= rule.threshold < value
    if rule.op == "crosses_below":
        return previous is not None and previous >= rule.threshold > value
    return _COMPARE[rule.op](value, rule.threshold)


def holds(rule: RuleConfig, value: float, *, firing: bool) -> bool:
    """Whether the condition still holds; a firing rule is judged against the clear threshold."""
    limit = rule.clear_threshold if firing and rule.clear_threshold is not None else rule.threshold
    return _COMPARE[rule.op](value, limit)


def evaluate_rule(
    rule: RuleConfig,
    values: Iterable[tuple[date, float]],
    previous: AlertState,
    *,
    repeat_interval: timedelta,
) -> tuple[AlertState, list[Decision]]:
    """Evaluate ``rule`` on each (date, value) after ``previous.last_date``, in order."""
    interval = rule.repeat_interval or repeat_interval
    state, decisions = previous, []
    for day, value in values:
        if state.last_date is not None and day <= state.last_date:
            continue
        state, decision = _step(rule, state, day, value, interval)
        decisions.append(decision)
    return state, decisions


def _step(
    rule: RuleConfig, state: AlertState, day: date, value: float, interval: timedelta
) -> tuple[AlertState, Decision]:
    previous_value = state.last_value
    state = replace(state, last_date=day, last_value=value)
    if state.state == FIRING:
        return _from_firing(rule, state, day, value, interval)
    if state.state == PENDING:
        if holds(rule, value, firing=False):
            return _count_true(rule, replace(state, true_count=state.true_count + 1), day, value)
        cleared = replace(state, state=INACTIVE, true_count=0, active_since=None)
        return cleared, Decision(day, value, INACTIVE, PENDING_CLEARED, event=True)
    if enters(rule, previous_value, value):
        started = replace(state, true_count=1, false_count=0, active_since=day)
        return _count_true(rule, started, day, value)
    return state, Decision(day, value, state.state, CONDITION_FALSE)


def _count_true(
    rule: RuleConfig, state: AlertState, day: date, value: float
) -> tuple[AlertState, Decision]:
    if state.true_count >= rule.for_:
        fired = replace(state, state=FIRING, false_count=0, last_notified_date=day)
        return fired, Decision(day, value, FIRING, FIRST_FIRING, event=True, notify=True)
    if state.state == PENDING:
        return state, Decision(day, value, PENDING, STILL_PENDING)
    pending = replace(state, state=PENDING)
    return pending, Decision(day, value, PENDING, BECAME_PENDING, event=True)


def _from_firing(
    rule: RuleConfig, state: AlertState, day: date, value: float, interval: timedelta
) -> tuple[AlertState, Decision]:
    if holds(rule, value, firing=True):
        state = replace(state, false_count=0)
        last = state.last_notified_date
        if last is None or day - last >= interval:
            state = replace(state, last_notified_date=day)
            return state, Decision(day, value, FIRING, REPEAT_DUE, event=True, notify=True)
        reason = STILL_FIRING if holds(rule, value, firing=False) else HYSTERESIS
        return state, Decision(day, value, FIRING, reason)
    state = replace(state, false_count=state.false_count + 1)
    if state.false_count <= rule.keep_firing_for:
        return state, Decision(day, value, FIRING, KEPT_FIRING)
    resolved = replace(state, state=RESOLVED, true_count=0, false_count=0, active_since=None)
    return resolved, Decision(
        day, value, RESOLVED, RESOLVED_REASON, event=True, notify=rule.send_resolved
    )
