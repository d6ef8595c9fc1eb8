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
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.rules.engine import RuleOutcome
from monitor.rules.evaluator import AlertState, Decision
from monitor.rules.stage import Timeline
from monitor.store.models import AlertEvent, RuleState
from monitor.store.upsert import dialect_insert


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


@dataclass(frozen=True)
class NewEvent:
    """A transition this evaluation recorded first: its stored row and the outcome it is of."""

    event: AlertEvent
    outcome: RuleOutcome
    decision: Decision


def record(session: Session, outcomes: Sequence[RuleOutcome], now: datetime) -> list[NewEvent]:
    """Store each outcome's transitions and its new state; return the transitions that were
    not stored before (a re-run or a racing evaluator gets none back)."""
    new = []
    for outcome in outcomes:
        for decision in outcome.decisions:
            if not decision.event:
                continue
            event_id = _insert_event(
                session, {**outcome.event_fields(decision), "recorded_at": now}
            )
            if event_id is not None:
                new.append(NewEvent(session.get_one(AlertEvent, event_id), outcome, decision))
        if outcome.decisions:
            _save_state(session, outcome, now)
    return new


def transitions(session: Session, fingerprints: Sequence[str], first: date) -> dict[str, Timeline]:
    """Each alert's stored (date, state) transitions in order: its last one before ``first``,
    then all from ``first`` on."""
    timelines: dict[str, Timeline] = {}
    for key in fingerprints:
        columns = select(AlertEvent.date, AlertEvent.state).where(AlertEvent.fingerprint == key)
        before = session.execute(
            columns.where(AlertEvent.date < first)
            .order_by(AlertEvent.date.desc(), AlertEvent.id.desc())
            .limit(1)
        ).all()
        since = session.execute(
            columns.where(AlertEvent.date >= first).order_by(AlertEvent.date, AlertEvent.id)
        ).all()
        timelines[key] = [(day, state) for day, state in [*before, *since]]
    return timelines


def _insert_event(session: Session, row: Mapping[str, object]) -> int | None:
    statement = (
        dialect_insert(session, AlertEvent)
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
    statement = dialect_insert(session, RuleState).values(**row)
    statement = statement.on_conflict_do_update(
        index_elements=["fingerprint"],
        set_={k: statement.excluded[k] for k in row if k != "fingerprint"},
        where=RuleState.last_date <= statement.excluded.last_date,
    )
    session.execute(statement)
