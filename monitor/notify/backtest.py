"""What the notifications of a backtest would have been: grouped, honouring inhibition. Pure.

Each evaluated date stands for one evaluation, so the transitions of one date that share a
group are one notification (``group_wait`` and ``group_interval`` are wall-clock waits and
have no counterpart in a replay). Inhibition reads the alerts firing on that date. Silences,
acknowledgements and mute intervals are about the present and are not replayed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from monitor.config import Config, RuleConfig
from monitor.delivery.payloads import display_key
from monitor.notify.grouping import group_labels, grouped
from monitor.notify.inhibit import Source, inhibiting, inhibitors
from monitor.notify.queue import rule_labels
from monitor.rules.engine import RuleOutcome
from monitor.rules.evaluator import FIRING, REPEAT_DUE, Decision
from monitor.rules.stale import feeding

NOTIFICATION_COLUMNS = ["date", "group", "status", "count", "channels", "alerts"]


def backtest_notifications(config: Config, outcomes: Sequence[RuleOutcome]) -> list[dict[str, Any]]:
    """One row per notification the replayed transitions would have sent, in date order."""
    rules = inhibitors(config.inhibit_rules)
    by_day: dict[date, list[tuple[RuleOutcome, Decision]]] = defaultdict(list)
    for outcome in outcomes:
        for decision in outcome.decisions:
            by_day[decision.date].append((outcome, decision))
    states: dict[str, tuple[str, RuleConfig]] = {}
    rows: list[dict[str, Any]] = []
    for day in sorted(by_day):
        for outcome, decision in by_day[day]:
            states[outcome.fingerprint] = (decision.state, outcome.rule)
        sources = [Source(fp, rule_labels(r)) for fp, (s, r) in states.items() if s == FIRING]
        groups: dict[str, list[tuple[RuleOutcome, Decision]]] = defaultdict(list)
        for outcome, decision in by_day[day]:
            if not decision.notify or _inhibited(config, rules, sources, outcome, decision):
                continue
            groups[_group_of(config, outcome)].append((outcome, decision))
        rows += [_row(config, day, group, items) for group, items in groups.items()]
    return rows


def _inhibited(
    config: Config,
    rules: list[Any],
    sources: list[Source],
    outcome: RuleOutcome,
    decision: Decision,
) -> bool:
    found = inhibiting(
        rules,
        sources,
        fingerprint=outcome.fingerprint,
        labels=rule_labels(outcome.rule),
        inputs=feeding(config, [outcome.rule.signal]) if rules else set(),
        repeat=decision.reason == REPEAT_DUE,
    )
    return found is not None


def _group_of(config: Config, outcome: RuleOutcome) -> str:
    group_by = config.rule_group_by(outcome.rule)
    if not grouped(group_by):
        return display_key(rule_labels(outcome.rule))
    return display_key(group_labels(group_by, rule_labels(outcome.rule)))


def _row(
    config: Config, day: date, group: str, items: list[tuple[RuleOutcome, Decision]]
) -> dict[str, Any]:
    channels = sorted({c for outcome, _ in items for c in config.rule_channels(outcome.rule)})
    firing = any(decision.state == FIRING for _, decision in items)
    return {
        "date": day,
        "group": group,
        "status": "firing" if firing else "resolved",
        "count": len(items),
        "channels": ", ".join(channels),
        "alerts": "; ".join(f"{o.rule.name} {d.state} ({d.reason})" for o, d in items),
    }
