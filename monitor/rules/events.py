"""Alert events and rule states in the database: exactly-once by a unique key.

Every transition is inserted with ``INSERT ... ON CONFLICT (fingerprint, state, date) DO
NOTHING``; only the evaluator whose insert took effect gets the event back, to queue its
deliveries in the same transaction (the outbox, :mod:`monitor.evaluation`). So re-running an
evaluation, a crash between writes (the transaction rolls back) or two evaluators racing never
duplicate an event or a notification. A rule state
never moves back in time, so a slower racer cannot rewind it; a later judgment of the same date
(DataStale is judged again when data returns within the day) replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, delete, select
from sqlalchemy.orm import Session

from monitor.rules.engine import RuleOutcome
from monitor.rules.evaluator import AlertState, Decision
from monitor.rules.stage import Timeline
from monitor.store.each import per_key
from monitor.store.models import AlertEvent, RuleState
from monitor.store.upsert import dialect_insert

_STATE_FIELDS = [f.name for f in fields(AlertState)]


def load_states(session: Session) -> dict[str, AlertState]:
    """Every stored alert state by fingerprint."""
    return {
        row.fingerprint: AlertState(**{name: getattr(row, name) for name in _STATE_FIELDS})
        for row in session.scalars(select(RuleState))
    }


def forget_states(session: Session, *, keep: set[str]) -> None:
    """Delete the states of alerts whose fingerprint is not in ``keep``."""
    session.execute(delete(RuleState).where(RuleState.fingerprint.not_in(keep)))


@dataclass(frozen=True)
class NewEvent:
    """A transition this evaluation recorded first: its stored row's id and the outcome it is of."""

    event_id: int
    outcome: RuleOutcome
    decision: Decision


def record(session: Session, outcomes: Sequence[RuleOutcome], now: datetime) -> list[NewEvent]:
    """Store each outcome's transitions and its new state; return the transitions that were
    not stored before (a re-run or a racing evaluator gets none back).

    All transitions go in one statement executed for many rows, all states in another.
    """
    transitions = [(o, d) for o in outcomes for d in o.decisions if d.event]
    rows = [outcome.event_fields(d) for outcome, d in transitions]
    inserted = _insert_events(session, rows, now)
    new = []
    for outcome, decision in transitions:
        event_id = inserted.get((outcome.fingerprint, decision.state, decision.date))
        if event_id is not None:
            new.append(NewEvent(event_id, outcome, decision))
    _save_states(session, [o for o in outcomes if o.decisions], now)
    return new


def transitions(session: Session, fingerprints: Sequence[str], first: date) -> dict[str, Timeline]:
    """Each alert's stored (date, state) transitions in order: its last one before ``first``,
    then all from ``first`` on (two statements, however many alerts)."""

    def last_before(key: ColumnElement[str]) -> list[ScalarSelect[Any]]:
        query = (
            select(AlertEvent.date)
            .where(AlertEvent.fingerprint == key, AlertEvent.date < first)
            .order_by(AlertEvent.date.desc(), AlertEvent.id.desc())
            .limit(1)
        )
        return [
            query.scalar_subquery(),
            query.with_only_columns(AlertEvent.state).scalar_subquery(),
        ]

    timelines: dict[str, Timeline] = {key: [] for key in fingerprints}
    for key, day, state in per_key(session, fingerprints, last_before):
        if day is not None:
            timelines[key].append((day, state))
    since = (
        select(AlertEvent.fingerprint, AlertEvent.date, AlertEvent.state)
        .where(AlertEvent.fingerprint.in_(fingerprints), AlertEvent.date >= first)
        .order_by(AlertEvent.fingerprint, AlertEvent.date, AlertEvent.id)
    )
    for key, day, state in session.execute(since):
        timelines[key].append((day, state))
    return timelines


def _insert_events(
    session: Session, rows: Sequence[Mapping[str, object]], now: datetime
) -> dict[tuple[str, str, date], int]:
    """Insert ``rows`` recorded at ``now``, those whose (fingerprint, state, date) is new: their
    ids by that key."""
    if not rows:
        return {}
    table = AlertEvent.__table__
    statement = (
        dialect_insert(session, AlertEvent)
        .values(recorded_at=now)  # one value for every row, converted once
        .on_conflict_do_nothing(index_elements=["fingerprint", "state", "date"])
        .returning(table.c.id, table.c.fingerprint, table.c.state, table.c.date)
    )
    result = session.connection().execute(statement, list(rows))
    return {(fingerprint, state, day): id_ for id_, fingerprint, state, day in result}


def _save_states(session: Session, outcomes: Sequence[RuleOutcome], now: datetime) -> None:
    if not outcomes:
        return
    rows = [
        {
            "fingerprint": outcome.fingerprint,
            "rule": outcome.rule.name,
            **{name: getattr(outcome.state, name) for name in _STATE_FIELDS},
            "updated_at": now,
        }
        for outcome in outcomes
    ]
    statement = dialect_insert(session, RuleState)
    statement = statement.on_conflict_do_update(
        index_elements=["fingerprint"],
        set_={k: statement.excluded[k] for k in rows[0] if k != "fingerprint"},
        where=RuleState.last_date <= statement.excluded.last_date,
    )
    session.connection().execute(statement, rows)
