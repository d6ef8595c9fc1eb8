"""Claiming due deliveries so that no two dispatchers send the same one at the same time.

A claim names its holder (``lease_owner``: the dispatcher's id, one per process) and runs out
quickly (``lease_until``, :data:`LEASE`); a live dispatcher renews the claims it holds every
:data:`RENEW_EVERY`. So the claims of a dispatcher that was killed, or lost its database for
longer than a lease, are free again within seconds, and a restarted daemon or another replica
sends them: at least once, duplicates limited to the requests that were in flight.

PostgreSQL picks the rows with ``SELECT ... FOR UPDATE SKIP LOCKED``, so replicas claiming at
the same moment take disjoint sets without waiting. SQLite serialises writers, so a single
conditional ``UPDATE ... RETURNING`` claims atomically against a concurrent ``firealarm deliver``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from monitor.store import tables

LEASE = timedelta(seconds=20)
RENEW_EVERY = timedelta(seconds=5)

_events = tables.alert_events
_deliveries = tables.deliveries


_EVENTS = select(_events).where(_events.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class Claim:
    """A claimed delivery: the alert event it announces, and the values of its row when it was
    claimed (only the holder of a claim changes them, so they hold until it records)."""

    delivery_id: str
    event: Row[Any]  # an ``alert_events`` row: the columns of :class:`AlertEvent`
    attempts: int
    created_at: datetime
    replayed_at: datetime | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    grouped: bool  # a group notification: the alerts it lists are in ``delivery_events``


def new_owner() -> str:
    """A token naming one dispatcher (the holder of its claims)."""
    return f"lease_{uuid.uuid4().hex}"


def _claimable(
    now: datetime, ids: Sequence[str] | None, channel: str | None
) -> ColumnElement[bool]:
    due = and_(
        _deliveries.c.status == "pending",
        _deliveries.c.next_attempt_at <= now,
        or_(_deliveries.c.lease_until.is_(None), _deliveries.c.lease_until < now),
    )
    if channel is not None:
        due = and_(due, _deliveries.c.channel == channel)
    return and_(due, _deliveries.c.id.in_(ids)) if ids is not None else due


def claim_due(
    connection: Connection,
    *,
    now: datetime,
    limit: int,
    owner: str,
    lease: timedelta = LEASE,
    ids: Sequence[str] | None = None,
    channel: str | None = None,
) -> list[Claim]:
    """Claim up to ``limit`` due deliveries (only ``ids``, of ``channel``, if given), oldest due
    first, in the caller's transaction on ``connection`` (commit it soon: the claims hold from
    then). Three statements, whatever the number claimed."""
    d = _deliveries.c
    picked = select(d.id).where(_claimable(now, ids, channel)).order_by(d.next_attempt_at, d.id)
    if connection.dialect.name == "sqlite":
        # One statement: reading first and writing later could meet a stale snapshot.
        target = d.id.in_(picked.limit(limit).scalar_subquery())
    else:
        locked = picked.limit(limit).with_for_update(skip_locked=True)
        target = d.id.in_(bindparam("locked", list(connection.scalars(locked)), expanding=True))
    claimed = connection.execute(
        update(_deliveries)
        .where(target, _claimable(now, ids, channel))
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(
            d.id,
            d.event_id,
            d.attempts,
            d.created_at,
            d.replayed_at,
            d.next_attempt_at,
            d.delivered_at,
            d.group_key,
        )
    ).all()
    if not claimed:
        return []
    wanted = list({row.event_id for row in claimed})
    events = {e.id: e for e in connection.execute(_EVENTS, {"ids": wanted})}
    return [
        Claim(
            delivery_id=row.id,
            event=events[row.event_id],
            attempts=row.attempts,
            created_at=row.created_at,
            replayed_at=row.replayed_at,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            grouped=row.group_key is not None,
        )
        for row in sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))
    ]


def _held(owner: str, ids: Sequence[str] | None) -> ColumnElement[bool]:
    held = and_(_deliveries.c.lease_owner == owner, _deliveries.c.status == "pending")
    return held if ids is None else and_(held, _deliveries.c.id.in_(ids))


def renew(
    connection: Connection,
    *,
    owner: str,
    ids: Sequence[str],
    now: datetime,
    lease: timedelta = LEASE,
) -> set[str]:
    """Extend ``owner``'s claims on ``ids`` to ``now + lease``; those it still holds. A claim
    not among them is lost (it ran out and another took it, or the delivery was settled)."""
    return set(
        connection.scalars(
            update(_deliveries)
            .where(_held(owner, ids))
            .values(lease_until=now + lease)
            .returning(_deliveries.c.id)
        )
    )


def release(connection: Connection, *, owner: str, ids: Sequence[str] | None = None) -> None:
    """Give back the claims ``owner`` holds (only on ``ids``, if given) on deliveries it has
    not sent: it is stopping, or will not send them."""
    connection.execute(
        update(_deliveries).where(_held(owner, ids)).values(lease_owner=None, lease_until=None)
    )
