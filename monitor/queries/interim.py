"""Alert reads the API needs, until the rules branch lands with ``queries/alerts.py``."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from monitor.store.models import AlertEvent

EVENT_COLUMNS = ["rule", "state", "date", "value", "threshold", "severity", "summary"]


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


def _bounded(query: Select, column: Any, since: date | None, until: date | None) -> Select:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column <= until)
    return query
