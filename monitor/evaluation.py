"""One evaluation: the steps that run after new data, in order, in one transaction.

lock -> signals -> what the rules may judge (each signal's judged dates and values, the stored
stage, every input's freshness), read up front -> the pure rules engine and DataStale -> record
the transitions and states, queueing each new transition's deliveries (the outbox). One
transaction: a crash leaves the previous evaluation intact. Evaluations run one at a time,
across processes too (:mod:`monitor.store.locks`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.errors import ParameterError
from monitor.notify.queue import Notice, queue_notifications
from monitor.notify.release import release_ended
from monitor.rules.engine import evaluate_rules, rule_fingerprint
from monitor.rules.evaluator import FIRING, REPEAT_DUE, RESOLVED, AlertState
from monitor.rules.events import NewEvent, forget_states, load_states, record, transitions
from monitor.rules.stage import StoredStage, stage_levels, stage_through
from monitor.rules.stale import configured_rules, evaluate_stale
from monitor.runtime import Runtime
from monitor.signals import store as signal_store
from monitor.signals.align import Dated
from monitor.signals.engine import SignalReport, compute_signals
from monitor.signals.freshness import instrument_freshness, staleness_limit
from monitor.signals.settled import judged_through
from monitor.store.database import session_scope
from monitor.store.locks import lock_evaluation


@dataclass(frozen=True)
class RecordReport:
    """What the rules step of one evaluation stored: new events and queued deliveries."""

    events: int = 0
    deliveries: int = 0


@dataclass
class EvaluationReport:
    """What one evaluation did."""

    as_of: date | None
    now: datetime
    full: bool
    signals: list[SignalReport] = field(default_factory=list)
    alerts: RecordReport = field(default_factory=RecordReport)


def evaluate(
    runtime: Runtime,
    *,
    as_of: date | None = None,
    now: datetime | None = None,
    full: bool = False,
) -> EvaluationReport:
    """Compute signals, then evaluate the alert rules, over the stored data.

    ``as_of`` (default: the UTC date of ``now``) limits every step to observations available
    up to that date, so a past date is evaluated exactly as it could have been then, and an
    observation stored before its assumed publication date waits for it; a future date is a
    ParameterError. ``full`` recomputes
    all history instead of just the dates that can have changed.
    """
    now = now or datetime.now(UTC)
    today = now.astimezone(UTC).date()
    as_of = as_of or today
    if as_of > today:
        # Rule states never move back in time: a future date would freeze them until it comes.
        raise ParameterError("as_of", f"{as_of} is in the future (today is {today}, UTC)")
    report = EvaluationReport(as_of=as_of, now=now, full=full)
    with session_scope(runtime.engine) as session:
        lock_evaluation(session)  # one evaluation at a time, across processes
        whole: dict[str, Dated] = {}
        report.signals = compute_signals(
            session, runtime.config, now=now, as_of=as_of, full=full, whole=whole
        )
        report.alerts = evaluate_alerts(session, runtime.config, as_of=as_of, now=now, known=whole)
    return report


def evaluate_alerts(
    session: Session,
    config: Config,
    *,
    as_of: date,
    now: datetime,
    known: Mapping[str, Dated] | None = None,
) -> RecordReport:
    """Evaluate every rule on the stored signal values up to ``as_of``, store the stage values,
    the transitions and the new states, queue notifications, and check for stale data.

    ``known``: signals whose stored values up to ``as_of`` the caller has in hand (those it just
    recomputed whole), used instead of reading them back.

    The states of alerts the config no longer defines (a removed or renamed rule, changed
    labels) are forgotten, so they do not stay open forever; their events remain.
    """
    states = load_states(session)
    since = _judged_since(config, states)
    judged = judged_through(session, config, since, as_of)
    series = _judged_values(session, since, judged, as_of, known or {})
    stored_stage = _stored_stage(session, config, judged, series, as_of)
    result = evaluate_rules(config, series, states, stored_stage=stored_stage)
    if config.stage.stages:
        signal_store.store_series(session, config.stage.id, result.stage, now)
    freshness = instrument_freshness(session, config, as_of)
    latest = {f.symbol: f.latest_available for f in freshness if f.latest_available}
    stale = evaluate_stale(config, latest, as_of, states)
    outcomes = result.outcomes + stale
    forget_states(session, keep=set(configured_rules(config)))
    new = record(session, outcomes, now)
    firing = {o.fingerprint: o.rule for o in outcomes if o.state.state == FIRING}
    notices = [_notice(config, event, as_of) for event in new]
    # Apprise URLs are read from the environment when notifications are queued.
    notices_due = [n for n in notices if n]
    deliveries = queue_notifications(session, config, notices_due, firing, now, os.environ)
    deliveries += release_ended(session, config, now, os.environ)
    return RecordReport(len(new), deliveries)


def _judged_since(config: Config, states: Mapping[str, AlertState]) -> dict[str, date | None]:
    # Each signal is read from the oldest last-evaluated date of the rules on it (the evaluator
    # skips what a rule has already seen).
    since: dict[str, date | None] = {}
    for rule in config.rules:
        if rule.signal == config.stage.id and config.stage.stages:
            continue
        last = states.get(rule_fingerprint(rule), AlertState()).last_date
        earlier = since.get(rule.signal, last)
        since[rule.signal] = None if last is None or earlier is None else min(last, earlier)
    return since


def _judged_values(
    session: Session,
    since: Mapping[str, date | None],
    judged: Mapping[str, date],
    as_of: date,
    known: Mapping[str, Dated],
) -> dict[str, list[tuple[date, float]]]:
    """Each signal's values in (since, judged]: those not ``known`` in one query, each cut to
    its own range."""
    unknown = [signal for signal in since if signal not in known]
    starts = [since[signal] for signal in unknown]
    loaded = (
        signal_store.load_series(
            session,
            unknown,
            since=None if None in starts else min(s for s in starts if s is not None),
            until=max(judged.values(), default=as_of),
        )
        if unknown
        else {}
    )
    series = {
        signal: [
            (d, v)
            for d, v in loaded[signal]
            if (start is None or d > start) and d <= judged[signal]
        ]
        for signal, start in since.items()
        if signal in loaded
    }
    for signal in since.keys() & known.keys():
        series[signal] = _between(known[signal], since[signal], judged[signal])
    return series


def _between(values: Dated, after: date | None, through: date) -> list[tuple[date, float]]:
    """The ``(date, value)`` pairs of ``values`` in (``after``, ``through``]."""
    days = values.days
    first = 0 if after is None else int(np.searchsorted(days, np.datetime64(after, "D"), "right"))
    last = int(np.searchsorted(days, np.datetime64(through, "D"), "right"))
    picked = days[first:last].astype(object).tolist()
    return list(zip(picked, values.values[first:last].tolist(), strict=True))


def _stored_stage(
    session: Session,
    config: Config,
    judged: Mapping[str, date],
    series: Mapping[str, Sequence[tuple[date, float]]],
    as_of: date,
) -> StoredStage:
    """The stage dates still to compute and the staged alerts' stored transitions.

    They run from the day after the last stored stage value or, when a staged rule now judges
    an earlier date (an input's history arrived after the stage had moved past it), from that
    date, so the stage does not depend on the order in which its inputs' data arrived.
    """
    level = stage_levels(config.stage)
    staged = [rule for rule in config.rules if rule.name in level]
    signals = sorted({rule.signal for rule in staged})
    if not signals:
        return StoredStage()
    limits = {signal: staleness_limit(config, signal) for signal in signals}
    through = stage_through({s: judged[s] for s in signals}, limits, as_of)
    after = signal_store.latest_date(session, config.stage.id, as_of)
    judged_first = [series[s][0][0] for s in signals if series.get(s)]
    if after is not None and judged_first and min(judged_first) <= after:
        after = min(judged_first) - timedelta(days=1)
    days = signal_store.dates_with_values(session, signals, after=after, through=through)
    if not days:
        return StoredStage()
    fingerprints = [rule_fingerprint(rule) for rule in staged]
    return StoredStage(days, transitions(session, fingerprints, days[0]))


def _notice(config: Config, new: NewEvent, as_of: date) -> Notice | None:
    """The notification a new transition asks for, if any (grouped and queued together).

    A transition older than its rule's repeat interval as of ``as_of`` (history evaluated in
    one go, e.g. after a backfill) is stored but not sent: it is no longer news, and a first
    evaluation of 30 years must not page anyone 500 times.
    """
    rule, decision = new.outcome.rule, new.decision
    news_since = as_of - (rule.repeat_interval or config.alerts.repeat_interval)
    if not (decision.notify and decision.date > news_since):
        return None
    return Notice(
        new.event_id,
        new.outcome.fingerprint,
        rule,
        resolved=decision.state == RESOLVED,
        repeat=decision.reason == REPEAT_DUE,
        active_since=new.outcome.state.active_since,
    )
