"""Replay the rules over stored signal history from an empty state; store and send nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from monitor.config import Config, RuleConfig
from monitor.errors import ParameterError
from monitor.rules.engine import EngineResult, Series, evaluate_one, evaluate_rules
from monitor.rules.evaluator import AlertState
from monitor.rules.stage import StageTimeline
from monitor.signals.store import load_series


def unknown_rules(config: Config, rules: Sequence[str]) -> str | None:
    """What is wrong with ``rules`` (names the config does not have), None if nothing."""
    known = {r.name for r in config.rules}
    if unknown := [name for name in rules if name not in known]:
        return f"unknown rule(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
    return None


def replay(
    session: Session, config: Config, *, since: date | None = None, until: date | None = None
) -> EngineResult:
    """Every rule evaluated on the stored history in [since, until] from an empty state.

    The stage is recomputed from the rules as configured, never read back from storage.
    """
    signals = sorted({r.signal for r in config.rules} - {config.stage.id})
    start = since - timedelta(days=1) if since else None
    series = load_series(session, signals, since=start, until=until or date.max)
    return evaluate_rules(config, series, {})


def backtest(
    session: Session,
    config: Config,
    *,
    since: date | None = None,
    until: date | None = None,
    rules: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Every transition the rules would have made on the stored history, in date order.

    All rules are evaluated (the stage needs them); ``rules`` only filters the output. The
    same transitions as :func:`replay`'s, read and judged one signal at a time: only the
    transitions, and the staged rules' changes of state, outlive a signal's turn, so memory
    is bounded by the longest single history (plus the output), not by all of them together.
    """
    if problem := unknown_rules(config, rules):
        raise ParameterError("rule", problem)
    start = since - timedelta(days=1) if since else None
    stage_id = config.stage.id if config.stage.stages else None
    timeline = StageTimeline(config.stage)
    events: list[dict[str, Any]] = []

    def judge(rule: RuleConfig, values: Series) -> None:
        outcome = evaluate_one(config, rule, values, {})
        timeline.add(outcome, AlertState())
        if not rules or rule.name in rules:
            events.extend(outcome.events())

    on_signal: dict[str, list[RuleConfig]] = {}
    for rule in config.rules:
        on_signal.setdefault(rule.signal, []).append(rule)
    for signal in sorted(set(on_signal) - {config.stage.id}):
        values = load_series(session, [signal], since=start, until=until or date.max)[signal]
        for rule in on_signal[signal]:
            judge(rule, values)
    if stage_id is not None:
        stage = timeline.series()
        for rule in on_signal.get(stage_id, []):
            judge(rule, stage)
    return sorted(events, key=lambda e: (e["date"], e["rule"]))
