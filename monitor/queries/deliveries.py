"""The outbox as users see it: deliveries, their attempts, and counts by status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.queries.paging import paged
from monitor.store.models import AlertEvent, ChannelState, Delivery, DeliveryAttempt

DELIVERY_COLUMNS = [
    "id",
    "channel",
    "rule",
    "state",
    "date",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "last_status_code",
    "last_error",
]
ATTEMPT_COLUMNS = ["attempted_at", "outcome", "status_code", "error", "duration_ms"]


def deliveries(
    session: Session, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Deliveries newest first, optionally only those with ``status``, paged."""
    query = (
        select(Delivery, AlertEvent.rule, AlertEvent.state, AlertEvent.date)
        .join(AlertEvent, AlertEvent.id == Delivery.event_id)
        .order_by(Delivery.created_at.desc(), Delivery.id)
    )
    if status is not None:
        query = query.where(Delivery.status == status)
    query = paged(query, limit, offset)
    return [
        {
            "id": d.id,
            "channel": d.channel,
            "rule": rule,
            "state": state,
            "date": day,
            "status": d.status,
            "attempts": d.attempts,
            "created_at": d.created_at,
            "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
            "last_status_code": d.last_status_code,
            "last_error": d.last_error,
            "delivered_at": d.delivered_at,
        }
        for d, rule, state, day in session.execute(query)
    ]


def delivery_exists(session: Session, delivery_id: str) -> bool:
    """Whether the outbox holds a delivery with this id."""
    return session.get(Delivery, delivery_id) is not None


def delivery_attempts(session: Session, delivery_id: str) -> list[dict[str, Any]]:
    """Every attempt of one delivery, oldest first."""
    query = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id)
    )
    return [{c: getattr(a, c) for c in ATTEMPT_COLUMNS} for a in session.scalars(query)]


def delivery_counts(session: Session) -> dict[str, int]:
    """Number of deliveries per status (pending, sent, failed, dead): the one count that
    status, the API, the health check and the metrics all show."""
    rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: count for status, count in rows}


def disabled_channel_rows(session: Session) -> list[dict[str, Any]]:
    """Channels a receiver disabled (HTTP 410), with when and why."""
    query = select(ChannelState).where(ChannelState.disabled_at.is_not(None))
    return [
        {"channel": s.channel, "disabled_at": s.disabled_at, "reason": s.reason}
        for s in session.scalars(query)
    ]


# A delivery still pending this long after it was due is stuck: no dispatcher is sending.
OVERDUE_AFTER = timedelta(minutes=2)


def delivery_health(session: Session, now: datetime, channels: Sequence[str]) -> dict[str, Any]:
    """What an operator must see: queued, overdue and dead deliveries, disabled channels.

    ``deliverable`` is False when no configured channel can deliver (all disabled); having no
    channel at all is a choice, not a failure.
    """
    counts = delivery_counts(session)
    overdue_since = now - OVERDUE_AFTER
    overdue = session.execute(
        select(func.count(), func.min(Delivery.next_attempt_at)).where(
            Delivery.status == "pending", Delivery.next_attempt_at < overdue_since
        )
    ).one()
    disabled = disabled_channel_rows(session)
    off = {row["channel"] for row in disabled}
    return {
        "queued": counts.get("pending", 0),
        "overdue": overdue[0],
        "oldest_overdue_at": overdue[1],
        "dead": counts.get("dead", 0),
        "failed": counts.get("failed", 0),
        "disabled_channels": disabled,
        "deliverable": not channels or any(c not in off for c in channels),
    }
