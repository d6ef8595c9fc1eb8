"""Writing what happened: each attempt in its own short transaction, disabled channels.

An attempt is recorded the moment it completes, so after a crash only the requests that were in
flight can be sent again. The delivery's new status is written only while this dispatcher still
holds its claim; the attempt row itself is always kept, so the history is complete.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from monitor.delivery.notices import announce_disabled
from monitor.delivery.outcome import SendResult
from monitor.delivery.schedule import next_attempt
from monitor.store.database import session_scope
from monitor.store.models import ChannelState, Delivery, DeliveryAttempt

GONE = "receiver answered 410 Gone"


@dataclass(frozen=True)
class Attempted:
    """A claimed delivery, when its attempt started and how it went."""

    delivery_id: str
    channel: str
    at: datetime
    result: SendResult


def record_attempt(
    engine: Engine,
    attempted: Attempted,
    *,
    owner: str,
    max_age: timedelta,
    rng: random.Random,
    channels: Sequence[str],
) -> str | None:
    """Store one attempt and its delivery's new status (None: the claim was lost meanwhile).

    A 410 disables the channel and announces it to the other ``channels``.
    """
    with session_scope(engine) as session:
        session.add(
            DeliveryAttempt(
                delivery_id=attempted.delivery_id,
                attempted_at=attempted.at,
                outcome=attempted.result.outcome,
                status_code=attempted.result.status_code,
                error=attempted.result.error,
                duration_ms=attempted.result.duration_ms,
            )
        )
        delivery = session.scalar(
            select(Delivery).where(
                Delivery.id == attempted.delivery_id, Delivery.lease_owner == owner
            )
        )
        status = None
        if delivery is not None:
            status = _apply(delivery, attempted.result, attempted.at, max_age, rng)
        if attempted.result.outcome == "disabled" and disable_channel(
            session, attempted.channel, attempted.at, GONE
        ):
            others = [c for c in channels if c != attempted.channel]
            announce_disabled(session, attempted.channel, GONE, others, attempted.at)
        return status


def _apply(
    delivery: Delivery, result: SendResult, now: datetime, max_age: timedelta, rng: random.Random
) -> str:
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


def disable_channel(session: Session, channel: str, now: datetime, reason: str) -> bool:
    """Mark ``channel`` disabled and fail its pending deliveries; whether it was enabled before."""
    state = session.get(ChannelState, channel)
    if state is not None and state.disabled_at is not None:
        return False
    state = state or ChannelState(channel=channel)
    state.disabled_at, state.reason = now, reason
    session.add(state)
    session.execute(
        update(Delivery)
        .where(Delivery.channel == channel, Delivery.status == "pending")
        .values(status="failed", last_error=f"channel {channel} disabled: {reason}")
        .execution_options(synchronize_session=False)
    )
    return True


def fail_unsendable(
    engine: Engine, *, now: datetime, configured: Sequence[str], ids: Sequence[str] | None
) -> dict[str, str]:
    """Fail due deliveries that cannot be sent at all (channel disabled or removed); id → why."""
    due = select(Delivery.id, Delivery.channel).where(
        Delivery.status == "pending", Delivery.next_attempt_at <= now
    )
    if ids is not None:
        due = due.where(Delivery.id.in_(ids))
    with session_scope(engine) as session:
        disabled = disabled_channels(session)
        reasons: dict[str, str] = {}
        for delivery_id, channel in session.execute(
            due.where(Delivery.channel.in_(disabled) | Delivery.channel.not_in(configured))
        ):
            reasons[delivery_id] = (
                f"channel {channel} disabled: {disabled[channel]}"
                if channel in disabled
                else f"channel {channel} is not configured"
            )
        for delivery_id, reason in reasons.items():
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == "pending")
                .values(status="failed", last_error=reason, lease_owner=None, lease_until=None)
            )
        return reasons


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
