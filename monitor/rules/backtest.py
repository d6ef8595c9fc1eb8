"""Replay the rules over stored signal history from an empty state; store and send nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.errors import ParameterError
from monitor.rules.engine import EngineResult, evaluate_rules
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

    All rules are evaluated (the stage needs them); ``rules`` only filters the output.
    """
    if problem := unknown_rules(config, rules):
        raise ParameterError("rule", problem)
    result = replay(session, config, since=since, until=until)
    events = [
        event
        for outcome in result.outcomes
        if not rules or outcome.rule.name in rules
        for event in outcome.events()
    ]
    return sorted(events, key=lambda e: (e["date"], e["rule"]))
