"""The alerts a group notification lists (``delivery_events``), as the dispatcher sends them.

An alert listed twice (it fired, then resolved before the notification went out) is listed
once, in its latest state. Firing alerts come first, then resolved ones, each oldest first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select

from monitor.delivery.message import StoredAlert
from monitor.store.dates import Reader
from monitor.store.tables import alert_events, deliveries, delivery_events, notification_groups


@dataclass(frozen=True)
class Listing:
    """A group notification's alerts and the labels naming its group."""

    events: list[StoredAlert]
    group_labels: dict[str, str]


def listed_events(reader: Reader, delivery_ids: Sequence[str]) -> dict[str, Listing]:
    """Per group notification among ``delivery_ids``, its alerts (rows of ``alert_events``);
    ungrouped ones are absent."""
    groups = notification_groups.c
    query = (
        select(
            alert_events,
            delivery_events.c.delivery_id.label("listed_in"),
            groups.labels.label("group_labels"),
        )
        .join(alert_events, alert_events.c.id == delivery_events.c.event_id)
        .join(deliveries, deliveries.c.id == delivery_events.c.delivery_id)
        .join(
            notification_groups,
            and_(
                groups.channel == deliveries.c.channel,
                groups.group_key == deliveries.c.group_key,
            ),
        )
        .where(delivery_events.c.delivery_id.in_(delivery_ids))
        .order_by(alert_events.c.id)
    )
    latest: dict[str, dict[str, StoredAlert]] = {}
    labels: dict[str, str] = {}
    for row in reader.execute(query):
        latest.setdefault(row.listed_in, {})[row.fingerprint] = row
        labels[row.listed_in] = row.group_labels
    return {
        delivery_id: Listing(
            sorted(events.values(), key=lambda e: (e.state == "resolved", e.id)),
            json.loads(labels[delivery_id]),
        )
        for delivery_id, events in latest.items()
    }
