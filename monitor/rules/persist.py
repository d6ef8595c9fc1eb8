"""Rule states and alert events in the database: exactly-once by a unique key.

Every transition is inserted with ``INSERT ... ON CONFLICT (fingerprint, state, date) DO
NOTHING``; only the evaluator whose insert took effect queues the notifications, in the same
transaction (the outbox; grouped by :mod:`monitor.notify.queue`). So re-running an evaluation,
a crash between writes (the transaction rolls back) or two evaluators racing never duplicate an
event or a notification. A rule state
never moves back in time, so a slower racer cannot rewind it; a later judgment of the same date
(DataStale is judged again when data returns within the day) replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import Insert, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.notify.queue import Notice, queue_notifications
from monitor.rules.engine import RuleOutcome, Series
from monitor.rules.evaluator import FIRING, REPEAT_DUE, RESOLVED, AlertState
from monitor.store.models import AlertEvent, RuleState, SignalValue


@dataclass(frozen=True)
class RecordReport:
    """What one evaluation stored: new events and queued deliveries."""

    events: int = 0
    deliveries: int = 0


def _insert(session: Session, table: type) -> Insert:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def load_states(session: Session) -> dict[str, AlertState]:
    """Every stored alert state by fingerprint."""
    fields = AlertState.__dataclass_fields__
    return {
        row.fingerprint: AlertState(**{name: getattr(row, name) for name in fields})
        for row in session.scalars(select(RuleState))
    }


def forget_states(session: Session, *, keep: set[str]) -> None:
    """Delete the states of alerts whose fingerprint is not in ``keep``."""
    session.execute(delete(RuleState).where(RuleState.fingerprint.not_in(keep)))


def load_series(
    session: Session, signals: Sequence[str], *, since: date | None, until: date
) -> dict[str, list[tuple[date, float]]]:
    """Stored values of ``signals`` in (``since``, ``until``], in date order."""
    query = (
        select(SignalValue.signal, SignalValue.date, SignalValue.value)
        .where(SignalValue.signal.in_(signals), SignalValue.date <= until)
        .order_by(SignalValue.signal, SignalValue.date)
    )
    if since is not None:
        query = query.where(SignalValue.date > since)
    series: dict[str, list[tuple[date, float]]] = {name: [] for name in signals}
    for signal, day, value in session.execute(query):
        series[signal].append((day, value))
    return series


def store_series(session: Session, signal: str, values: Series, now: datetime) -> None:
    """Upsert computed values (the stage) into ``signal_values``."""
    if not values:
        return
    rows = [{"signal": signal, "date": d, "value": v, "computed_at": now} for d, v in values]
    statement = _insert(session, SignalValue)
    statement = statement.on_conflict_do_update(
        index_elements=["signal", "date"],
        set_={"value": statement.excluded.value, "computed_at": statement.excluded.computed_at},
    )
    session.execute(statement, rows)


def record(
    session: Session,
    config: Config,
    outcomes: Sequence[RuleOutcome],
    *,
    as_of: date,
    now: datetime,
) -> RecordReport:
    """Store each outcome's transitions and its new state, and queue the notifications.

    A transition older than its rule's repeat interval as of ``as_of`` (history evaluated in
    one go, e.g. after a backfill) is stored but not sent: it is no longer news, and a first
    evaluation of 30 years must not page anyone 500 times.
    """
    events = 0
    notices: list[Notice] = []
    for outcome in outcomes:
        interval = outcome.rule.repeat_interval or config.alerts.repeat_interval
        news_since = as_of - interval
        for decision in outcome.decisions:
            if not decision.event:
                continue
            row = {**outcome.event_fields(decision), "recorded_at": now}
            event_id = _insert_event(session, row)
            if event_id is None:
                continue
            events += 1
            if decision.notify and decision.date > news_since:
                notices.append(
                    Notice(
                        event_id,
                        outcome.fingerprint,
                        outcome.rule,
                        resolved=decision.state == RESOLVED,
                        repeat=decision.reason == REPEAT_DUE,
                        active_since=outcome.state.active_since,
                    )
                )
        if outcome.decisions:
            _save_state(session, outcome, now)
    firing = {o.fingerprint: o.rule for o in outcomes if o.state.state == FIRING}
    return RecordReport(events, queue_notifications(session, config, notices, firing, now))


def _insert_event(session: Session, row: Mapping[str, object]) -> int | None:
    statement = (
        _insert(session, AlertEvent)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["fingerprint", "state", "date"])
        .returning(AlertEvent.id)
    )
    return session.execute(statement).scalar_one_or_none()


def _save_state(session: Session, outcome: RuleOutcome, now: datetime) -> None:
    row = {
        "fingerprint": outcome.fingerprint,
        "rule": outcome.rule.name,
        **asdict(outcome.state),
        "updated_at": now,
    }
    statement = _insert(session, RuleState).values(**row)
    statement = statement.on_conflict_do_update(
        index_elements=["fingerprint"],
        set_={k: statement.excluded[k] for k in row if k != "fingerprint"},
        where=RuleState.last_date <= statement.excluded.last_date,
    )
    session.execute(statement)
