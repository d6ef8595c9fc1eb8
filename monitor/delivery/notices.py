"""``ChannelDisabled``: the alert the other channels get when a receiver disables one (410)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.delivery.outbox import queue_deliveries
from monitor.rules.fingerprint import fingerprint
from monitor.store.models import AlertEvent

CHANNEL_DISABLED = "ChannelDisabled"


def announce_disabled(
    session: Session, channel: str, reason: str, others: Sequence[str], now: datetime
) -> None:
    """Queue a ``ChannelDisabled`` alert about ``channel`` to ``others`` (once per day)."""
    if not others:
        return
    labels = {"channel": channel}
    key = fingerprint(CHANNEL_DISABLED, labels)
    day = now.date()
    exists = select(AlertEvent.id).where(
        AlertEvent.fingerprint == key, AlertEvent.state == "firing", AlertEvent.date == day
    )
    if session.scalar(exists) is not None:
        return
    event = AlertEvent(
        rule=CHANNEL_DISABLED,
        fingerprint=key,
        state="firing",
        reason="channel_disabled",
        date=day,
        signal="none",
        value=None,
        threshold=0.0,
        severity="critical",
        labels=json.dumps(labels),
        summary=(
            f"Channel {channel} is disabled ({reason}); its alerts are not delivered until "
            f"`firealarm redeliver --channel {channel}`"
        ),
        recorded_at=now,
    )
    session.add(event)
    queue_deliveries(session, event, list(others), now)
