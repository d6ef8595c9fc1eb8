"""The outbox: deliveries are written in the same transaction as the alert event they announce.

So an alert is never lost between evaluation and sending, even if the process dies: whatever
was committed is sent by the next dispatcher run. A delivery's ``id`` is its webhook-id, the same
on every retry, which receivers use to drop duplicates.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.store.models import AlertEvent, Delivery


def new_delivery_id() -> str:
    """A unique, stable delivery id in the Standard Webhooks style (``msg_...``)."""
    return f"msg_{uuid.uuid4().hex}"


def queue_deliveries(
    session: Session,
    event: AlertEvent,
    channels: Sequence[str],
    now: datetime,
    *,
    due: datetime | None = None,
) -> list[Delivery]:
    """Queue ``event`` for each channel (once each), in the caller's transaction; due at
    ``due`` (default: now)."""
    if event.id is None:
        session.flush()
    deliveries = [
        Delivery(
            id=new_delivery_id(),
            event_id=event.id,
            channel=channel,
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=due or now,
        )
        for channel in dict.fromkeys(channels)
    ]
    session.add_all(deliveries)
    return deliveries
