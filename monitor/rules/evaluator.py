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
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

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


class Decision(NamedTuple):
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


def evaluate_rule(
    rule: RuleConfig,
    values: Iterable[tuple[date, float]],
    previous: AlertState,
    *,
    repeat_interval: timedelta,
) -> tuple[AlertState, list[Decision]]:
    """Evaluate ``rule`` on each (date, value) after ``previous.last_date``, in order."""
    machine = _Machine(rule, previous, rule.repeat_interval or repeat_interval)
    compare, threshold = machine.compare, rule.threshold
    plain = rule.op not in ("crosses_above", "crosses_below")
    decisions = []
    for day, value in values:
        if machine.last_date is not None and day <= machine.last_date:
            continue
        status = machine.status
        if plain and status != FIRING and status != PENDING and not compare(value, threshold):
            # most dates: the condition does not start; what step() does then, inlined
            machine.last_date, machine.last_value = day, value
            decisions.append(Decision(day, value, status, CONDITION_FALSE))
        else:
            decisions.append(machine.step(day, value))
    return machine.state(), decisions


class _Machine:
    """One alert's state while its dates are judged: updated in place, one step per date."""

    __slots__ = (
        "active_since",
        "clear",
        "compare",
        "false_count",
        "interval",
        "last_date",
        "last_notified_date",
        "last_value",
        "rule",
        "status",
        "true_count",
    )

    def __init__(self, rule: RuleConfig, state: AlertState, interval: timedelta) -> None:
        self.rule, self.interval, self.compare = rule, interval, _COMPARE[rule.op]
        self.clear = rule.threshold if rule.clear_threshold is None else rule.clear_threshold
        self.status, self.last_date, self.last_value = (
            state.state,
            state.last_date,
            state.last_value,
        )
        self.true_count, self.false_count = state.true_count, state.false_count
        self.active_since, self.last_notified_date = state.active_since, state.last_notified_date

    def state(self) -> AlertState:
        """Where the alert stands after the dates judged so far."""
        return AlertState(
            self.status,
            self.last_date,
            self.last_value,
            self.true_count,
            self.false_count,
            self.active_since,
            self.last_notified_date,
        )

    def step(self, day: date, value: float) -> Decision:
        """Judge one date."""
        previous_value = self.last_value
        self.last_date, self.last_value = day, value
        if self.status == FIRING:
            return self._from_firing(day, value)
        if self.status == PENDING:
            if self.compare(value, self.rule.threshold):
                self.true_count += 1
                return self._count_true(day, value)
            self.status, self.true_count, self.active_since = INACTIVE, 0, None
            return Decision(day, value, INACTIVE, PENDING_CLEARED, event=True)
        if enters(self.rule, previous_value, value):
            self.true_count, self.false_count, self.active_since = 1, 0, day
            return self._count_true(day, value)
        return Decision(day, value, self.status, CONDITION_FALSE)

    def _count_true(self, day: date, value: float) -> Decision:
        if self.true_count >= self.rule.for_:
            self.status, self.false_count, self.last_notified_date = FIRING, 0, day
            return Decision(day, value, FIRING, FIRST_FIRING, event=True, notify=True)
        if self.status == PENDING:
            return Decision(day, value, PENDING, STILL_PENDING)
        self.status = PENDING
        return Decision(day, value, PENDING, BECAME_PENDING, event=True)

    def _from_firing(self, day: date, value: float) -> Decision:
        if self.compare(value, self.clear):  # holds(firing=True)
            self.false_count = 0
            last = self.last_notified_date
            if last is None or day - last >= self.interval:
                self.last_notified_date = day
                return Decision(day, value, FIRING, REPEAT_DUE, event=True, notify=True)
            still = self.compare(value, self.rule.threshold)
            return Decision(day, value, FIRING, STILL_FIRING if still else HYSTERESIS)
        self.false_count += 1
        if self.false_count <= self.rule.keep_firing_for:
            return Decision(day, value, FIRING, KEPT_FIRING)
        self.status, self.true_count, self.false_count, self.active_since = RESOLVED, 0, 0, None
        return Decision(
            day, value, RESOLVED, RESOLVED_REASON, event=True, notify=self.rule.send_resolved
        )
