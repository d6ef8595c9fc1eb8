"""Replaying a delivery (``firealarm redeliver ID``) and probing a channel (``notify-test``).

A test alert goes through the outbox like any alert, so a receiver that is down gets it on a
later retry. Receivers that track alerts until they resolve (Alertmanager's format) get its
resolve a few seconds later, so the incident a test opens behind them closes again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from monitor.config import Channel, PagerDutyChannel, WebhookChannel
from monitor.delivery.channels import enable_channel
from monitor.delivery.dispatcher import Dispatcher, open_dispatcher
from monitor.delivery.message import probe_events
from monitor.delivery.outbox import queue_deliveries
from monitor.delivery.payloads import RESOLVING_FORMATS
from monitor.errors import ConfigError, DeliveryError
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import Delivery, DeliveryAttempt

RESOLVE_AFTER = 5.0  # seconds between a test alert and its resolve


def requeue(engine: Engine, delivery_id: str, now: datetime) -> str:
    """Make a failed, dead or superseded delivery due again now, same id; returns its channel.

    Its max age counts afresh from now, and a channel disabled by a 410 is enabled again:
    replaying is the user saying the receiver is back.
    """
    with session_scope(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            raise DeliveryError(f"no delivery with id {delivery_id!r}")
        if delivery.status in ("pending", "sent"):
            raise DeliveryError(
                f"delivery {delivery_id} is {delivery.status}; "
                "only failed, dead or superseded ones replay"
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


@dataclass(frozen=True)
class ProbeResult:
    """Where one delivery of a test alert stands after ``notify-test`` tried it."""

    delivery_id: str
    state: str  # test | resolved
    status: str  # sent | pending | failed | dead
    status_code: int | None = None
    error: str | None = None
    duration_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "sent"


def resolves(channel: Channel) -> bool:
    """Whether ``channel``'s receiver tracks an alert until it resolves (so a test resolves)."""
    if isinstance(channel, PagerDutyChannel):
        return True  # else the test incident would stay open
    return isinstance(channel, WebhookChannel) and channel.format in RESOLVING_FORMATS


def notify_test(
    runtime: Runtime,
    channel: str,
    *,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    resolve_after: float = RESOLVE_AFTER,
    environ: Mapping[str, str] | None = None,
) -> list[ProbeResult]:
    """Queue a test alert for ``channel`` and send it now through its real sender; where the
    receiver tracks alerts, then its resolve ``resolve_after`` seconds later.

    A resolve whose test alert was not sent waits in the outbox until after the test's retry
    (or fails with it), so a receiver never sees the resolve first.
    """
    config = runtime.config
    if channel not in config.channels:
        known = ", ".join(sorted(config.channels)) or "none configured"
        raise ConfigError(f"unknown channel {channel!r} (channels: {known})")
    now = clock()
    wait = timedelta(seconds=resolve_after)
    resolve_at = now + wait if resolves(config.channels[channel]) else None
    ids = _queue(runtime.engine, channel, now, resolve_at)
    dispatcher = open_dispatcher(runtime, environ=environ)
    try:
        results = [_send(dispatcher, ids[0], "test", now)]
        if resolve_at is None:
            return results
        if results[0].ok:
            sleep(resolve_after)
            return [*results, _send(dispatcher, ids[1], "resolved", clock())]
    finally:
        dispatcher.close()
    _hold(runtime.engine, ids[0], ids[1], wait)
    return [*results, _result(runtime.engine, ids[1], "resolved")]


def _queue(engine: Engine, channel: str, now: datetime, resolve_at: datetime | None) -> list[str]:
    """Store the test's events and queue one delivery each; returns the delivery ids."""
    ids = []
    with session_scope(engine) as session:
        for event in probe_events(channel, now, resolve_at):
            session.add(event)
            due = event.recorded_at
            ids += [d.id for d in queue_deliveries(session, event, [channel], now, due=due)]
    return ids


def _send(dispatcher: Dispatcher, delivery_id: str, state: str, now: datetime) -> ProbeResult:
    dispatcher.dispatch_due(now, limit=1, ids=[delivery_id])
    return _result(dispatcher.engine, delivery_id, state)


def _result(engine: Engine, delivery_id: str, state: str) -> ProbeResult:
    with session_scope(engine) as session:
        delivery = session.get_one(Delivery, delivery_id)
        duration = session.scalar(
            select(DeliveryAttempt.duration_ms)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(DeliveryAttempt.id.desc())
            .limit(1)
        )
        return ProbeResult(
            delivery_id,
            state,
            delivery.status,
            delivery.last_status_code,
            delivery.last_error,
            duration,
        )


def _hold(engine: Engine, test_id: str, resolve_id: str, wait: timedelta) -> None:
    """Keep the resolve behind its unsent test: due after the test's retry, or failed with it."""
    with session_scope(engine) as session:
        test = session.get_one(Delivery, test_id)
        resolve = session.get_one(Delivery, resolve_id)
        if test.status == "pending":
            resolve.next_attempt_at = test.next_attempt_at + wait
        else:
            resolve.status = "failed"
            resolve.last_error = f"its test alert {test_id} was not delivered ({test.status})"
