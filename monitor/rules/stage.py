"""The stage composite of a persisted evaluation, computed only through settled dates.

In one evaluation, rules on different calendars have judged different dates (each signal through
its own settled date, :mod:`monitor.rules.settled`): at 16:30 New York the equity rules have
judged today, the Bitcoin ones only yesterday. The stage of a date needs every staged rule's
state on that date, so it is computed only through the earliest date every staged signal is
judged through, on each date one of them has a value. A staged signal whose inputs went stale is
left out of that bound: its rule keeps its last state and must not hold the stage back. A rule's
state on a date is the last of its decisions in this evaluation or, before those, of its stored
transitions, so a date judged by some rules in one evaluation and by the rest in the next gets
the same stage a backtest gives it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.rules.engine import RuleOutcome, Series
from monitor.rules.evaluator import FIRING, INACTIVE
from monitor.signals.freshness import staleness_limit
from monitor.store.models import AlertEvent, SignalValue


def settled_stage(
    session: Session,
    config: Config,
    outcomes: Sequence[RuleOutcome],
    judged: Mapping[str, date],
    as_of: date,
) -> Series:
    """Stage values after the last stored one, through the date all staged rules have judged.

    ``judged`` maps each signal to the last date its rules may judge (``judged_through``).
    """
    level = {name: k for k, names in enumerate(config.stage.stages, start=1) for name in names}
    staged = [o for o in outcomes if o.rule.name in level]
    signals = sorted({o.rule.signal for o in staged})
    if not signals:
        return []
    through = _stage_through(config, signals, judged, as_of)
    last = session.scalar(
        select(func.max(SignalValue.date)).where(
            SignalValue.signal == config.stage.id, SignalValue.date <= as_of
        )
    )
    query = select(SignalValue.date).where(
        SignalValue.signal.in_(signals), SignalValue.date <= through
    )
    if last is not None:
        query = query.where(SignalValue.date > last)
    days = session.scalars(query.distinct().order_by(SignalValue.date)).all()
    if not days:
        return []
    timelines = [(level[o.rule.name], _timeline(session, o, days[0])) for o in staged]
    values = []
    for day in days:
        reached = [k for k, timeline in timelines if _state_on(timeline, day) == FIRING]
        values.append((day, float(max(reached, default=0))))
    return values


def _stage_through(
    config: Config, signals: Sequence[str], judged: Mapping[str, date], as_of: date
) -> date:
    fresh = [
        judged[signal]
        for signal in signals
        if judged[signal] >= as_of - timedelta(days=staleness_limit(config, signal))
    ]
    return min(fresh, default=as_of)


def _timeline(session: Session, outcome: RuleOutcome, first: date) -> list[tuple[date, str]]:
    """The rule's state changes: its last stored transition before ``first``, its stored ones
    from ``first`` on, then this evaluation's decisions (a rule judges each date once)."""
    columns = select(AlertEvent.date, AlertEvent.state).where(
        AlertEvent.fingerprint == outcome.fingerprint
    )
    before = session.execute(
        columns.where(AlertEvent.date < first)
        .order_by(AlertEvent.date.desc(), AlertEvent.id.desc())
        .limit(1)
    ).all()
    since = session.execute(
        columns.where(AlertEvent.date >= first).order_by(AlertEvent.date, AlertEvent.id)
    ).all()
    stored = [(day, state) for day, state in [*before, *since]]  # in date order
    return stored + [(d.date, d.state) for d in outcome.decisions]


def _state_on(timeline: list[tuple[date, str]], day: date) -> str:
    at = bisect_right(timeline, day, key=lambda point: point[0])
    return timeline[at - 1][1] if at else INACTIVE
