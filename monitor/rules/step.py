"""The rules step of an evaluation: after the signals, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.notify.release import release_ended
from monitor.rules.engine import evaluate_rules, rule_fingerprint
from monitor.rules.evaluator import AlertState
from monitor.rules.persist import (
    RecordReport,
    forget_states,
    load_series,
    load_states,
    record,
    store_series,
)
from monitor.rules.settled import judged_through
from monitor.rules.stage import settled_stage
from monitor.rules.stale import configured_rules, evaluate_stale
from monitor.signals.freshness import instrument_freshness


def evaluate_alerts(
    session: Session, config: Config, *, as_of: date, now: datetime
) -> RecordReport:
    """Evaluate every rule on the stored signal values up to ``as_of``, store the stage values,
    the transitions and the new states, queue notifications, and check for stale data.

    The states of alerts the config no longer defines (a removed or renamed rule, changed
    labels) are forgotten, so they do not stay open forever; their events remain.
    """
    states = load_states(session)
    series, judged = _new_values(session, config, states, as_of)
    result = evaluate_rules(
        config,
        series,
        states,
        stage_of=lambda outcomes: settled_stage(session, config, outcomes, judged, as_of),
    )
    if config.stage.stages:
        store_series(session, config.stage.id, result.stage, now)
    freshness = instrument_freshness(session, config, as_of)
    latest = {f.symbol: f.latest_available for f in freshness if f.latest_available}
    stale = evaluate_stale(config, latest, as_of, states)
    forget_states(session, keep=set(configured_rules(config)))
    report = record(session, config, result.outcomes + stale, as_of=as_of, now=now)
    released = release_ended(session, config, now)
    return replace(report, deliveries=report.deliveries + released)


def _new_values(
    session: Session, config: Config, states: Mapping[str, AlertState], as_of: date
) -> tuple[dict[str, list[tuple[date, float]]], dict[str, date]]:
    # Each signal is read from the oldest last-evaluated date of the rules on it (the evaluator
    # skips what a rule has already seen) through the last date no input can still change.
    since: dict[str, date | None] = {}
    for rule in config.rules:
        if rule.signal == config.stage.id and config.stage.stages:
            continue
        last = states.get(rule_fingerprint(rule), AlertState()).last_date
        earlier = since.get(rule.signal, last)
        since[rule.signal] = None if last is None or earlier is None else min(last, earlier)
    judged = judged_through(session, config, since, as_of)
    series: dict[str, list[tuple[date, float]]] = {}
    for signal, start in since.items():
        series |= load_series(session, [signal], since=start, until=judged[signal])
    return series, judged
