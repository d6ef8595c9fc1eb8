"""Every rule of a config, plus the ``fire_alarm_stage`` composite, in evaluation order. Pure.

Order: the rules on ordinary signals first; then the stage (per date, the highest stage k with
a rule of stage k firing on that date, 0 if none; :mod:`monitor.rules.stage`); then the rules
that read the stage. Both the persisted evaluation (:mod:`monitor.evaluation`) and the backtest
run this same function; the persisted one passes what it read of the stored stage, so the stage
is computed only through dates every staged rule has judged. No database, no callbacks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.config import Config, RuleConfig
from monitor.config.templates import render_summary
from monitor.rules.evaluator import AlertState, Decision, evaluate_rule
from monitor.rules.fingerprint import fingerprint
from monitor.rules.stage import StoredStage, settled_stage, stage_series

Series = Sequence[tuple[date, float]]


@dataclass(frozen=True)
class RuleOutcome:
    """One alert after an evaluation: its new state and what each evaluated date did."""

    rule: RuleConfig
    fingerprint: str
    state: AlertState
    decisions: list[Decision]

    def events(self) -> list[dict[str, Any]]:
        """The decisions that are transitions, as alert-event fields (without ``recorded_at``)."""
        return [self.event_fields(d) for d in self.decisions if d.event]

    def event_fields(self, decision: Decision) -> dict[str, Any]:
        """One decision as the columns of an ``alert_events`` row."""
        rule = self.rule
        summary = render_summary(
            rule.summary,
            rule=rule.name,
            signal=rule.signal,
            value=decision.value,
            threshold=rule.threshold,
            clear_threshold=rule.clear_threshold,
            op=rule.op,
            day=decision.date,
            severity=rule.severity,
            labels=rule.labels,
        )
        return {
            "rule": rule.name,
            "fingerprint": self.fingerprint,
            "state": decision.state,
            "reason": decision.reason,
            "date": decision.date,
            "signal": rule.signal,
            "value": decision.value,
            "threshold": rule.threshold,
            "severity": rule.severity,
            "labels": json.dumps(rule.labels, sort_keys=True),
            "summary": summary,
        }


@dataclass(frozen=True)
class EngineResult:
    """Every rule's outcome and the stage values computed on the way."""

    outcomes: list[RuleOutcome]
    stage: list[tuple[date, float]]


def rule_fingerprint(rule: RuleConfig) -> str:
    """The fingerprint of the one alert a rule produces."""
    return fingerprint(rule.name, rule.labels)


def evaluate_rules(
    config: Config,
    series: Mapping[str, Series],
    states: Mapping[str, AlertState],
    *,
    stored_stage: StoredStage | None = None,
) -> EngineResult:
    """Evaluate every rule on ``series`` (signal id → values in date order) from ``states``.

    ``states`` maps fingerprints to where each alert stood; a missing one starts inactive.
    Without ``stored_stage`` the stage comes from this evaluation's decisions alone, which is
    exact when every rule judged the same dates, as in a backtest; a persisted evaluation passes
    the stage dates and stored transitions it read (:func:`monitor.rules.stage.settled_stage`).
    """
    stage_id = config.stage.id if config.stage.stages else None
    outcomes = [
        evaluate_one(config, rule, series.get(rule.signal, ()), states)
        for rule in config.rules
        if rule.signal != stage_id
    ]
    stage: list[tuple[date, float]] = []
    if stage_id is not None:
        stage = (
            stage_series(config.stage, outcomes, states)
            if stored_stage is None
            else settled_stage(config.stage, outcomes, stored_stage)
        )
        outcomes += [
            evaluate_one(config, rule, stage, states)
            for rule in config.rules
            if rule.signal == stage_id
        ]
    return EngineResult(outcomes, stage)


def evaluate_one(
    config: Config, rule: RuleConfig, values: Series, states: Mapping[str, AlertState]
) -> RuleOutcome:
    """One rule from its stored state."""
    key = rule_fingerprint(rule)
    state, decisions = evaluate_rule(
        rule, values, states.get(key, AlertState()), repeat_interval=config.alerts.repeat_interval
    )
    return RuleOutcome(rule, key, state, decisions)
