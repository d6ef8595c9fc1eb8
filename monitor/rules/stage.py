"""The ``fire_alarm_stage`` composite: per date, the highest stage with a firing rule. Pure.

Two ways to compute it from the staged rules' outcomes:

- :func:`stage_series`, from this evaluation's decisions alone: exact when every rule judged the
  same dates, as in a backtest.
- :func:`settled_stage`, for a persisted evaluation. In one evaluation, rules on different
  calendars have judged different dates (each signal through its own settled date): at 16:30
  New York the equity rules have judged today, the Bitcoin ones only yesterday. The stage of a
  date needs every staged rule's state on that date, so it is computed only through the
  earliest date every staged signal is judged through (:func:`stage_through`), on each date one
  of them has a value. A staged signal whose inputs went stale is left out of that bound: its
  rule keeps its last state and must not hold the stage back. A rule's state on a date is the
  last of its decisions in this evaluation or, before those, of its stored transitions, so a
  date judged by some rules in one evaluation and by the rest in the next gets the same stage a
  backtest gives it.

The caller reads what the second needs (:class:`StoredStage`) before it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from monitor.config import StageConfig
from monitor.rules.evaluator import FIRING, AlertState

if TYPE_CHECKING:
    from monitor.rules.engine import RuleOutcome

Series = Sequence[tuple[date, float]]
Timeline = list[tuple[date, str]]


@dataclass(frozen=True)
class StoredStage:
    """What a persisted evaluation read for the stage: the dates to compute it on (after its
    last stored value, through :func:`stage_through`) and each staged alert's stored
    transitions from the last one before the first of those dates on."""

    days: list[date] = field(default_factory=list)
    transitions: Mapping[str, Timeline] = field(default_factory=dict)


def stage_levels(stage: StageConfig) -> dict[str, int]:
    """Each staged rule's stage number (1-based)."""
    return {name: k for k, names in enumerate(stage.stages, start=1) for name in names}


def stage_through(judged: Mapping[str, date], limits: Mapping[str, int], as_of: date) -> date:
    """The last date every fresh staged signal has been judged through.

    ``judged`` maps each staged signal to its judged-through date; ``limits`` to its staleness
    limit in days. A signal judged longer ago than its limit is stale and sets no bound.
    """
    fresh = [day for signal, day in judged.items() if day >= as_of - timedelta(days=limits[signal])]
    return min(fresh, default=as_of)


def stage_series(
    stage: StageConfig, outcomes: Sequence[RuleOutcome], states: Mapping[str, AlertState]
) -> list[tuple[date, float]]:
    """Per evaluated date, the highest stage with a firing rule (a rule keeps its last state
    on dates its signal has no value)."""
    timeline = StageTimeline(stage)
    for outcome in outcomes:
        timeline.add(outcome, states.get(outcome.fingerprint, AlertState()))
    return timeline.series()


class StageTimeline:
    """What :func:`stage_series` needs of the staged rules' decisions, kept as they come: the
    dates any of them judged and each one's changes of state. A backtest adds one rule's outcome
    at a time and drops its decisions, so it never holds every rule's history at once."""

    def __init__(self, stage: StageConfig) -> None:
        self._level = stage_levels(stage)
        self._days: set[date] = set()
        self._changes: list[tuple[date, str, str]] = []  # (date, rule, state from that date)
        self._first: dict[str, str] = {}  # each staged rule's state before its decisions

    def add(self, outcome: RuleOutcome, start: AlertState) -> None:
        """Note ``outcome`` if its rule is staged; ``start`` is where it stood before."""
        name = outcome.rule.name
        if name not in self._level:
            return
        state = self._first[name] = start.state
        for decision in outcome.decisions:
            self._days.add(decision.date)
            if decision.state != state:
                state = decision.state
                self._changes.append((decision.date, name, state))

    def series(self) -> list[tuple[date, float]]:
        """Per date noted, the highest stage with a firing rule."""
        current = dict(self._first)
        changes = sorted(self._changes)
        values: list[tuple[date, float]] = []
        applied = 0
        for day in sorted(self._days):
            while applied < len(changes) and changes[applied][0] <= day:
                _, name, state = changes[applied]
                current[name] = state
                applied += 1
            reached = [self._level[name] for name, state in current.items() if state == FIRING]
            values.append((day, float(max(reached, default=0))))
        return values


def settled_stage(
    stage: StageConfig, outcomes: Sequence[RuleOutcome], stored: StoredStage
) -> list[tuple[date, float]]:
    """Stage values on ``stored.days`` from the stored transitions and this evaluation's
    decisions (a rule judges each date once, so its decisions follow its stored ones)."""
    level = stage_levels(stage)
    days = np.array([day.toordinal() for day in stored.days], dtype=np.int64)
    reached = np.zeros(len(days))
    for outcome in outcomes:
        if outcome.rule.name not in level:
            continue
        before = stored.transitions.get(outcome.fingerprint, [])
        dates = [day.toordinal() for day, _ in before]
        dates += [d.date.toordinal() for d in outcome.decisions]
        firing = [False, *(state == FIRING for _, state in before)]
        firing += [d.state == FIRING for d in outcome.decisions]
        # per day, whether the last point at or before it is firing (none: inactive)
        on = np.array(firing)[np.searchsorted(np.array(dates, dtype=np.int64), days, "right")]
        reached[on] = np.maximum(reached[on], level[outcome.rule.name])
    return list(zip(stored.days, reached.tolist(), strict=True))
