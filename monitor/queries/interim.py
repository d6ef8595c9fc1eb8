"""Signal, alert and delivery reads the API needs, until the signals/rules/delivery branches land.

Replaced by ``queries/signals.py``, ``queries/alerts.py`` and ``queries/deliveries.py`` on merge.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store.models import AlertEvent, Delivery, RuleState, SignalValue

STATE_RANK = {"firing": 3, "pending": 2, "inactive": 1}
EVENT_COLUMNS = ["rule", "state", "date", "value", "threshold", "severity", "summary"]
DELIVERY_COLUMNS = [
    "id",
    "channel",
    "status",
    "attempts",
    "rule",
    "alert_state",
    "created_at",
    "delivered_at",
    "last_error",
]


def latest_signals(session: Session, config: Config) -> list[dict[str, Any]]:
    """Each configured signal's newest value and the worst state of its rules."""
    newest = (
        select(SignalValue.signal, func.max(SignalValue.date).label("date"))
        .group_by(SignalValue.signal)
        .subquery()
    )
    values = {
        row.signal: row
        for row in session.execute(
            select(SignalValue.signal, SignalValue.date, SignalValue.value).join(
                newest,
                (newest.c.signal == SignalValue.signal) & (newest.c.date == SignalValue.date),
            )
        )
    }
    states = {
        rule: state for rule, state in session.execute(select(RuleState.rule, RuleState.state))
    }
    ids = [s.id for s in config.signal_order()] + ([config.stage.id] if config.stage.stages else [])
    rows = []
    for signal in ids:
        rules = [r.name for r in config.rules if r.signal == signal]
        rule_states = [states.get(r, "inactive") for r in rules]
        found = values.get(signal)
        rows.append(
            {
                "id": signal,
                "date": found.date if found else None,
                "value": found.value if found else None,
                "state": max(rule_states, key=STATE_RANK.__getitem__) if rules else None,
            }
        )
    return rows


def signal_history(
    session: Session,
    signal: str,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stored values of ``signal`` in date order, bounded by date and/or page."""
    query = select(SignalValue.date, SignalValue.value).where(SignalValue.signal == signal)
    query = _bounded(query, SignalValue.date, since, until).order_by(SignalValue.date)
    result = session.execute(query.limit(limit).offset(offset))
    return [{"date": day, "value": value} for day, value in result]


def open_alerts(session: Session) -> list[dict[str, Any]]:
    """Alerts whose latest transition left them pending or firing."""
    ranked = select(
        AlertEvent,
        func.row_number()
        .over(
            partition_by=AlertEvent.fingerprint,
            order_by=(AlertEvent.date.desc(), AlertEvent.id.desc()),
        )
        .label("newest"),
    ).subquery()
    query = (
        select(*(ranked.c[c] for c in EVENT_COLUMNS))
        .where(ranked.c.newest == 1, ranked.c.state.in_(("pending", "firing")))
        .order_by(ranked.c.date.desc(), ranked.c.rule)
    )
    return [row._asdict() for row in session.execute(query)]


def alert_events(
    session: Session,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Every stored transition, newest first."""
    query = select(*(getattr(AlertEvent, c) for c in EVENT_COLUMNS))
    query = _bounded(query, AlertEvent.date, since, until)
    query = query.order_by(AlertEvent.date.desc(), AlertEvent.id.desc())
    return [row._asdict() for row in session.execute(query.limit(limit).offset(offset))]


def deliveries(
    session: Session, status: str | None = None, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Deliveries with the alert they carry, newest first."""
    query = select(
        Delivery.id,
        Delivery.channel,
        Delivery.status,
        Delivery.attempts,
        AlertEvent.rule,
        AlertEvent.state.label("alert_state"),
        Delivery.created_at,
        Delivery.delivered_at,
        Delivery.last_error,
    ).join(AlertEvent, AlertEvent.id == Delivery.event_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    query = query.order_by(Delivery.created_at.desc(), Delivery.id)
    return [row._asdict() for row in session.execute(query.limit(limit).offset(offset))]


def _bounded(query: Select, column: Any, since: date | None, until: date | None) -> Select:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column <= until)
    return query
