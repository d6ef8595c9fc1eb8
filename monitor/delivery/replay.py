"""Replaying deliveries (``firealarm redeliver``) and probing a channel (``notify-test``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, select

from monitor.config import Config
from monitor.delivery.message import notify_test_message
from monitor.delivery.outbox import new_delivery_id
from monitor.delivery.outcome import SendResult
from monitor.delivery.record import enable_channel
from monitor.delivery.senders import build_senders
from monitor.errors import ConfigError, DeliveryError
from monitor.store.database import session_scope
from monitor.store.models import Delivery


def requeue(engine: Engine, delivery_id: str, now: datetime) -> str:
    """Make a failed or dead delivery due again now, same id; returns its channel.

    Its max age counts afresh from now, and a channel disabled by a 410 is enabled again:
    replaying is the user saying the receiver is back.
    """
    with session_scope(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            raise DeliveryError(f"no delivery with id {delivery_id!r}")
        if delivery.status in ("pending", "sent"):
            raise DeliveryError(
                f"delivery {delivery_id} is {delivery.status}; only failed or dead ones replay"
            )
        delivery.status = "pending"
        delivery.next_attempt_at = delivery.replayed_at = now
        delivery.lease_owner = delivery.lease_until = None
        enable_channel(session, delivery.channel)
        return delivery.channel


def requeue_channel(engine: Engine, channel: str, now: datetime) -> list[str]:
    """Enable ``channel`` again and make its failed deliveries due now, same ids; their ids."""
    with session_scope(engine) as session:
        enable_channel(session, channel)
        failed = list(
            session.scalars(
                select(Delivery).where(Delivery.channel == channel, Delivery.status == "failed")
            )
        )
        for delivery in failed:
            delivery.status = "pending"
            delivery.next_attempt_at = delivery.replayed_at = now
            delivery.lease_owner = delivery.lease_until = None
        return [delivery.id for delivery in failed]


def notify_test(
    config: Config,
    channel: str,
    now: datetime,
    *,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, SendResult]:
    """Send an ``alert.test`` to ``channel`` through its real sender; returns (id, result)."""
    if channel not in config.channels:
        known = ", ".join(sorted(config.channels)) or "none configured"
        raise ConfigError(f"unknown channel {channel!r} (channels: {known})")
    senders = build_senders(
        config, environ=os.environ if environ is None else environ, chart=lambda message: None
    )
    delivery_id = new_delivery_id()
    try:
        return delivery_id, senders[channel].send(
            notify_test_message(channel, now), delivery_id, now
        )
    finally:
        senders.close()
