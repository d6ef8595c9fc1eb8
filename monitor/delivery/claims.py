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
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from monitor.store.database import is_sqlite, session_scope
from monitor.store.models import AlertEvent, Delivery

LEASE = timedelta(seconds=20)
RENEW_EVERY = timedelta(seconds=5)


def new_owner() -> str:
    """A token naming one dispatcher (the holder of its claims)."""
    return f"lease_{uuid.uuid4().hex}"


def _claimable(
    now: datetime, ids: Sequence[str] | None, channel: str | None
) -> ColumnElement[bool]:
    due = and_(
        Delivery.status == "pending",
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
    )
    if channel is not None:
        due = and_(due, Delivery.channel == channel)
    return and_(due, Delivery.id.in_(ids)) if ids is not None else due


def claim_due(
    engine: Engine,
    *,
    now: datetime,
    limit: int,
    owner: str,
    lease: timedelta = LEASE,
    ids: Sequence[str] | None = None,
    channel: str | None = None,
) -> list[tuple[str, AlertEvent]]:
    """Claim up to ``limit`` due deliveries (only ``ids``, of ``channel``, if given).

    Returns each claimed delivery's id with the alert event it announces, oldest due first.
    """
    with session_scope(engine) as session:
        picked = (
            select(Delivery.id)
            .where(_claimable(now, ids, channel))
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        )
        if is_sqlite(engine):
            # One statement: reading first and writing later could meet a stale WAL snapshot.
            target = Delivery.id.in_(picked.scalar_subquery())
        else:
            target = Delivery.id.in_(
                list(session.scalars(picked.with_for_update(skip_locked=True)))
            )
        claimed = session.scalars(
            update(Delivery)
            .where(target, _claimable(now, ids, channel))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        ).all()
        if not claimed:
            return []
        rows = session.execute(
            select(Delivery.id, AlertEvent)
            .join(AlertEvent, AlertEvent.id == Delivery.event_id)
            .where(Delivery.id.in_(claimed))
            .order_by(Delivery.next_attempt_at, Delivery.id)
        ).all()
        return [(delivery_id, event) for delivery_id, event in rows]


def renew(engine: Engine, *, owner: str, now: datetime, lease: timedelta = LEASE) -> int:
    """Extend every claim ``owner`` still holds to ``now + lease``; how many it holds."""
    with session_scope(engine) as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.lease_owner == owner, Delivery.status == "pending")
            .values(lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
