"""Writing what happened: one attempt row per try, the delivery's new status, disabled channels."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from monitor.delivery.backoff import next_attempt
from monitor.delivery.outcome import SendResult
from monitor.store.database import session_scope
from monitor.store.models import ChannelState, Delivery, DeliveryAttempt


@dataclass(frozen=True)
class Attempted:
    """A claimed delivery and how its attempt went."""

    delivery_id: str
    channel: str
    result: SendResult


def record_results(
    engine: Engine,
    attempts: Sequence[Attempted],
    *,
    owner: str,
    now: datetime,
    max_age: timedelta,
    rng: random.Random,
) -> dict[str, str]:
    """Store every attempt and each delivery's new status; returns delivery id → status."""
    statuses: dict[str, str] = {}
    with session_scope(engine) as session:
        ids = [a.delivery_id for a in attempts]
        ours = {
            d.id: d
            for d in session.scalars(
                select(Delivery).where(Delivery.id.in_(ids), Delivery.lease_owner == owner)
            )
        }
        for attempted in attempts:
            delivery = ours.get(attempted.delivery_id)
            if delivery is None:
                continue  # our lease expired and another dispatcher owns it now
            statuses[delivery.id] = _apply(session, delivery, attempted.result, now, max_age, rng)
        for attempted in attempts:
            if attempted.result.outcome == "disabled":
                disable_channel(session, attempted.channel, now, "receiver answered 410 Gone")
    return statuses


def _apply(
    session: Session,
    delivery: Delivery,
    result: SendResult,
    now: datetime,
    max_age: timedelta,
    rng: random.Random,
) -> str:
    session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            attempted_at=now,
            outcome=result.outcome,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.lease_owner = delivery.lease_until = None
    if result.outcome == "sent":
        delivery.status, delivery.delivered_at = "sent", now
    elif result.outcome == "retry":
        age_start = delivery.replayed_at or delivery.created_at
        when = next_attempt(
            failures=delivery.attempts,
            age_start=age_start,
            now=now,
            max_age=max_age,
            retry_after=result.retry_after,
            rng=rng,
        )
        delivery.status = "dead" if when is None else "pending"
        delivery.next_attempt_at = when or delivery.next_attempt_at
    else:
        delivery.status = "failed"
    return delivery.status


def disable_channel(session: Session, channel: str, now: datetime, reason: str) -> None:
    """Mark ``channel`` disabled and fail its pending deliveries (the receiver wants no more)."""
    state = session.get(ChannelState, channel) or ChannelState(channel=channel)
    state.disabled_at, state.reason = now, reason
    session.add(state)
    session.execute(
        update(Delivery)
        .where(Delivery.channel == channel, Delivery.status == "pending")
        .values(status="failed", last_error=f"channel {channel} disabled: {reason}")
        .execution_options(synchronize_session=False)
    )


def fail_unsendable(engine: Engine, failures: dict[str, str], owner: str) -> None:
    """Fail claimed deliveries that cannot be sent at all (channel disabled or removed)."""
    if not failures:
        return
    with session_scope(engine) as session:
        for delivery_id, reason in failures.items():
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.lease_owner == owner)
                .values(status="failed", last_error=reason, lease_owner=None, lease_until=None)
            )


def disabled_channels(session: Session) -> dict[str, str]:
    """Disabled channel → why."""
    rows = session.execute(
        select(ChannelState.channel, ChannelState.reason).where(
            ChannelState.disabled_at.is_not(None)
        )
    )
    return {channel: reason or "disabled" for channel, reason in rows}


def enable_channel(session: Session, channel: str) -> None:
    """Clear a channel's disabled mark (``firealarm redeliver`` does, on the user's word)."""
    state = session.get(ChannelState, channel)
    if state is not None:
        session.delete(state)
