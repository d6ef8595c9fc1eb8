"""Alert events, open alerts, rule states and the outbox counts, as plain dicts."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.notify.acks import current_acks
from monitor.notify.labels import alert_labels
from monitor.notify.silence_store import active_silences
from monitor.notify.silences import ActiveSilence, silencing
from monitor.queries.paging import paged
from monitor.rules.evaluator import FIRING, PENDING
from monitor.store.models import AlertEvent, RuleState

OPEN_STATES = (PENDING, FIRING)

EVENT_COLUMNS = ["date", "rule", "state", "value", "threshold", "severity", "reason", "summary"]
OPEN_COLUMNS = [
    "rule",
    "state",
    "since",
    "date",
    "value",
    "threshold",
    "severity",
    "labels",
    "summary",
    "silenced",
    "acknowledged",
]


def alert_events(
    session: Session,
    rule: str | None = None,
    since: date | None = None,
    until: date | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stored transitions, oldest first, optionally of one rule, within dates (inclusive), paged."""
    query = select(AlertEvent).order_by(AlertEvent.date, AlertEvent.id)
    if rule is not None:
        query = query.where(AlertEvent.rule == rule)
    if since is not None:
        query = query.where(AlertEvent.date >= since)
    if until is not None:
        query = query.where(AlertEvent.date <= until)
    return [_event(e) for e in session.scalars(paged(query, limit, offset))]


def _event(event: AlertEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "rule": event.rule,
        "fingerprint": event.fingerprint,
        "state": event.state,
        "reason": event.reason,
        "date": event.date,
        "signal": event.signal,
        "value": event.value,
        "threshold": event.threshold,
        "severity": event.severity,
        "labels": json.loads(event.labels),
        "summary": event.summary,
        "recorded_at": event.recorded_at,
    }


def open_alerts(
    session: Session, *, now: datetime, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Alerts pending or firing now, with their latest value and their last event's details,
    the silence holding each at ``now`` and its acknowledgement (``"comment (author)"``)."""
    query = (
        select(RuleState)
        .where(RuleState.state.in_(OPEN_STATES))
        .order_by(RuleState.rule, RuleState.fingerprint)
    )
    states = session.scalars(paged(query, limit, offset)).all()
    silences, acks = active_silences(session, now), current_acks(session)
    rows = []
    for state in states:
        last = session.scalars(
            select(AlertEvent)
            .where(AlertEvent.fingerprint == state.fingerprint)
            .order_by(AlertEvent.date.desc(), AlertEvent.id.desc())
            .limit(1)
        ).first()
        rows.append(
            {
                "rule": state.rule,
                "fingerprint": state.fingerprint,
                "state": state.state,
                "since": state.active_since,
                "date": state.last_date,
                "value": state.last_value,
                "threshold": last.threshold if last else None,
                "severity": last.severity if last else None,
                "labels": json.loads(last.labels) if last else {},
                "summary": last.summary if last else "",
                "silenced": _silenced_by(silences, last, now),
                "acknowledged": _ack_note(acks.get(state.fingerprint)),
            }
        )
    return rows


def _silenced_by(silences: list[ActiveSilence], event: AlertEvent | None, now: datetime) -> str:
    if event is None:
        return ""
    labels = alert_labels(event.rule, event.severity, event.signal, json.loads(event.labels))
    return silencing(silences, labels, now) or ""


def _ack_note(ack: dict[str, Any] | None) -> str:
    return f"{ack['comment']} ({ack['author']})" if ack else ""
