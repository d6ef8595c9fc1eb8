"""Rule states and alert events in the database: exactly-once by a unique key.

Every transition is inserted with ``INSERT ... ON CONFLICT (fingerprint, state, date) DO
NOTHING``; only the evaluator whose insert took effect queues the deliveries, in the same
transaction (the outbox). So re-running an evaluation, a crash between writes (the transaction
rolls back) or two evaluators racing never duplicate an event or a notification. A rule state
never moves back in time, so a slower racer cannot rewind it; a later judgment of the same date
(DataStale is judged again when data returns within the day) replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Insert, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.delivery.outbox import queue_deliveries
from monitor.rules.engine import RuleOutcome, Series
from monitor.rules.evaluator import AlertState
from monitor.store.bulk import upsert_frame
from monitor.store.dates import as_stored, driver_rows, to_dates
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
        select(SignalValue.signal, as_stored(session, SignalValue.date), SignalValue.value)
        .where(SignalValue.signal.in_(signals), SignalValue.date <= until)
        .order_by(SignalValue.signal, SignalValue.date)
    )
    if since is not None:
        query = query.where(SignalValue.date > since)
    series: dict[str, list[tuple[date, float]]] = {name: [] for name in signals}
    rows = driver_rows(session, query)
    if not rows:
        return series
    table = np.array(rows, dtype=object)  # ordered by signal: each signal is one slice
    names = table[:, 0]
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(names)], strict=True):
        days = to_dates(table[start:end, 1].tolist())
        series[names[start]] = list(zip(days, table[start:end, 2].tolist(), strict=True))
    return series


def store_series(session: Session, signal: str, values: Series, now: datetime) -> None:
    """Upsert computed values (the stage) into ``signal_values``."""
    days, numbers = zip(*values, strict=True) if values else ((), ())
    rows = pd.DataFrame(
        {"signal": signal, "date": np.array(days, dtype="datetime64[D]"), "value": numbers}
    )
    upsert_frame(
        session.connection(),
        SignalValue.__table__,
        rows,
        key=("signal", "date"),
        constants={"computed_at": now},
    )


def record(
    session: Session,
    config: Config,
    outcomes: Sequence[RuleOutcome],
    *,
    as_of: date,
    now: datetime,
) -> RecordReport:
    """Store each outcome's transitions (queueing notifications) and its new state.

    A transition older than its rule's repeat interval as of ``as_of`` (history evaluated in
    one go, e.g. after a backfill) is stored but not sent: it is no longer news, and a first
    evaluation of 30 years must not page anyone 500 times. All transitions go in one statement
    executed for many rows, all states in another.
    """
    transitions = [(o, d) for o in outcomes for d in o.decisions if d.event]
    inserted = _insert_events(
        session, [{**o.event_fields(d), "recorded_at": now} for o, d in transitions]
    )
    deliveries = 0
    for outcome, decision in transitions:
        event_id = inserted.get((outcome.fingerprint, decision.state, decision.date))
        channels = config.rule_channels(outcome.rule)
        interval = outcome.rule.repeat_interval or config.alerts.repeat_interval
        if event_id is None or not (decision.notify and channels):
            continue
        if decision.date > as_of - interval:
            event = session.get_one(AlertEvent, event_id)
            deliveries += len(queue_deliveries(session, event, channels, now))
    _save_states(session, [o for o in outcomes if o.decisions], now)
    return RecordReport(len(inserted), deliveries)


def _insert_events(
    session: Session, rows: Sequence[Mapping[str, object]]
) -> dict[tuple[str, str, date], int]:
    """Insert ``rows``, those whose (fingerprint, state, date) is new: their ids by that key."""
    if not rows:
        return {}
    table = AlertEvent.__table__
    statement = (
        _insert(session, AlertEvent)
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
            **asdict(outcome.state),
            "updated_at": now,
        }
        for outcome in outcomes
    ]
    statement = _insert(session, RuleState)
    statement = statement.on_conflict_do_update(
        index_elements=["fingerprint"],
        set_={k: statement.excluded[k] for k in rows[0] if k != "fingerprint"},
        where=RuleState.last_date <= statement.excluded.last_date,
    )
    session.connection().execute(statement, rows)
