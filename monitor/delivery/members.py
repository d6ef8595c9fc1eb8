"""The alerts a group notification lists (``delivery_events``), as the dispatcher sends them.

An alert listed twice (it fired, then resolved before the notification went out) is listed
once, in its latest state. Firing alerts come first, then resolved ones, each oldest first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from monitor.store.models import AlertEvent, Delivery, DeliveryEvent, NotificationGroup


@dataclass(frozen=True)
class Listing:
    """A group notification's alerts and the labels naming its group."""

    events: list[AlertEvent]
    group_labels: dict[str, str]


def listed_events(session: Session, delivery_ids: Sequence[str]) -> dict[str, Listing]:
    """Per group notification among ``delivery_ids``, its alerts; ungrouped ones are absent."""
    query = (
        select(DeliveryEvent.delivery_id, NotificationGroup.labels, AlertEvent)
        .join(AlertEvent, AlertEvent.id == DeliveryEvent.event_id)
        .join(Delivery, Delivery.id == DeliveryEvent.delivery_id)
        .join(
            NotificationGroup,
            and_(
                NotificationGroup.channel == Delivery.channel,
                NotificationGroup.group_key == Delivery.group_key,
            ),
        )
        .where(DeliveryEvent.delivery_id.in_(delivery_ids))
        .order_by(AlertEvent.id)
    )
    latest: dict[str, dict[str, AlertEvent]] = {}
    labels: dict[str, str] = {}
    for delivery_id, group_labels, event in session.execute(query):
        latest.setdefault(delivery_id, {})[event.fingerprint] = event
        labels[delivery_id] = group_labels
    return {
        delivery_id: Listing(
            sorted(events.values(), key=lambda e: (e.state == "resolved", e.id)),
            json.loads(labels[delivery_id]),
        )
        for delivery_id, events in latest.items()
    }
