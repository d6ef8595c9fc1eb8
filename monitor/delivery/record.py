"""Writing what happened: attempts as they end, in short transactions; disabled channels.

Attempts are recorded a few at a time as they end (in one transaction of a few statements),
never after a batch: the dispatcher lets no more be unrecorded than can be in flight, so after a
crash no more than that can be sent again. A delivery's new status is written only
while this dispatcher still holds its claim; the attempt row itself is always kept, so the
history is complete.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.orm import Session

from monitor.delivery.backoff import next_attempt
from monitor.delivery.channels import disable_channel, disabled_channels
from monitor.delivery.claims import Claim
from monitor.delivery.notices import announce_disabled
from monitor.delivery.outcome import SendResult
from monitor.store import tables
from monitor.store.database import session_scope
from monitor.store.models import Delivery

log = logging.getLogger("monitor.delivery.dispatcher")
GONE = "receiver answered 410 Gone"


@dataclass(frozen=True)
class Attempted:
    """A claimed delivery, when its attempt started and how it went."""

    claim: Claim
    channel: str
    at: datetime
    result: SendResult

    @property
    def delivery_id(self) -> str:
        return self.claim.delivery_id


_deliveries = tables.deliveries
_ATTEMPT = insert(tables.delivery_attempts)
# Built once: a cached statement keeps the cost per attempt to binding its values.
_FINISH = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("b_id"), _deliveries.c.lease_owner == bindparam("b_owner"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        last_attempt_at=bindparam("b_at"),
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next"),
        delivered_at=bindparam("b_delivered"),
        lease_owner=None,
        lease_until=None,
    )
)


def record_attempts(
    connection: Connection,
    finished: Sequence[Attempted],
    *,
    owner: str,
    max_age: timedelta,
    rng: random.Random,
    channels: Sequence[str],
    lost: Collection[str] = (),
) -> dict[str, str]:
    """Store attempts that just finished, and their deliveries' new statuses, in the caller's
    transaction on ``connection``; returns delivery id → status for those ``owner`` still held
    (not ``lost``: claims ``owner`` knows another took, which only keep their attempt row).

    The dispatcher calls this as attempts finish, with whatever finished meanwhile (a group
    commit: a handful of statements, however many attempts). A 410 disables the channel and
    announces it to the other ``channels``.
    """
    if not finished:
        return {}
    connection.execute(_ATTEMPT, [_attempt_row(a) for a in finished])
    held = [a for a in finished if a.delivery_id not in lost]
    rows = [{**_status_row(a, max_age, rng), "b_owner": owner} for a in held]
    written = connection.execute(_FINISH, rows).rowcount if rows else 0
    if written != len(rows) or not connection.dialect.supports_sane_multi_rowcount:
        rows = _written(connection, rows)  # a claim was lost while its attempt ran
    _disable_gone(connection, finished, channels)
    return {str(row["b_id"]): str(row["b_status"]) for row in rows}


def _written(connection: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``rows`` :data:`_FINISH` wrote: those whose delivery now shows their attempt's time
    (the others' claims had passed to another dispatcher, which wrote its own)."""
    query = select(_deliveries.c.id, _deliveries.c.last_attempt_at).where(
        _deliveries.c.id.in_([row["b_id"] for row in rows])
    )
    shown = dict(connection.execute(query).all())  # not dict(result): it has keys()
    return [row for row in rows if shown.get(row["b_id"]) == row["b_at"]]


def _attempt_row(attempted: Attempted) -> dict[str, object]:
    result = attempted.result
    return {
        "delivery_id": attempted.delivery_id,
        "attempted_at": attempted.at,
        "outcome": result.outcome,
        "status_code": result.status_code,
        "error": result.error,
        "duration_ms": result.duration_ms,
    }


def _status_row(attempted: Attempted, max_age: timedelta, rng: random.Random) -> dict[str, Any]:
    """The values :data:`_FINISH` writes for one attempt of a delivery we hold."""
    result, now, delivery = attempted.result, attempted.at, attempted.claim
    status, next_at, delivered = "failed", delivery.next_attempt_at, delivery.delivered_at
    if result.outcome == "sent":
        status, delivered = "sent", now
    elif result.outcome == "retry":
        when = next_attempt(
            failures=delivery.attempts + 1,
            age_start=delivery.replayed_at or delivery.created_at,
            now=now,
            max_age=max_age,
            retry_after=result.retry_after,
            rng=rng,
        )
        status, next_at = ("dead", next_at) if when is None else ("pending", when)
    return {
        "b_id": attempted.delivery_id,
        "b_status": status,
        "b_attempts": delivery.attempts + 1,
        "b_at": now,
        "b_code": result.status_code,
        "b_error": result.error,
        "b_next": next_at,
        "b_delivered": delivered,
    }


def _disable_gone(
    connection: Connection, finished: Sequence[Attempted], channels: Sequence[str]
) -> None:
    """Disable each channel whose receiver answered 410, and say so on the others."""
    gone = {a.channel: a.at for a in finished if a.result.outcome == "disabled"}
    if not gone:
        return
    with Session(bind=connection) as session:
        for channel, at in gone.items():
            if disable_channel(session, channel, at, GONE):
                others = [c for c in channels if c != channel]
                announce_disabled(session, channel, GONE, others, at)
        session.flush()


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


def log_attempt(attempted: Attempted, status: str | None) -> None:
    """Sent at info, a retry at warning, a failed or dead delivery at error."""
    result = attempted.result
    event = {"sent": "sent", "pending": "retry"}.get(status or "", status or result.outcome)
    level = {"sent": logging.INFO, "retry": logging.WARNING}.get(event, logging.ERROR)
    reason = result.error or ""
    log.log(
        level,
        "delivery.%s %s to %s%s",
        event,
        attempted.delivery_id,
        attempted.channel,
        f": {reason}" if reason else "",
        extra={
            "delivery_id": attempted.delivery_id,
            "channel": attempted.channel,
            "outcome": result.outcome,
            "status_code": result.status_code,
            "reason": reason or None,
        },
    )
