"""Claiming due deliveries so that no two dispatchers send the same one at the same time.

A claim is a lease (``lease_owner``, ``lease_until``) written in a short transaction before
sending. PostgreSQL picks the rows with ``SELECT ... FOR UPDATE SKIP LOCKED``, so replicas
claiming at the same moment take disjoint sets without waiting. SQLite serialises writers, so a
single conditional ``UPDATE`` claims atomically against a concurrent ``firealarm deliver``. A
dispatcher killed mid-send leaves a lease that expires; the delivery is then sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from monitor.store.database import is_sqlite, session_scope
from monitor.store.models import AlertEvent, Delivery

DEFAULT_LEASE = timedelta(minutes=5)


def new_owner() -> str:
    """A token naming one claim."""
    return f"lease_{uuid.uuid4().hex}"


def _claimable(now: datetime, ids: Sequence[str] | None) -> ColumnElement[bool]:
    due = and_(
        Delivery.status == "pending",
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
    )
    return and_(due, Delivery.id.in_(ids)) if ids is not None else due


def claim_due(
    engine: Engine,
    *,
    now: datetime,
    limit: int,
    owner: str,
    lease: timedelta = DEFAULT_LEASE,
    ids: Sequence[str] | None = None,
) -> list[tuple[Delivery, AlertEvent]]:
    """Lease up to ``limit`` due deliveries (optionally only ``ids``) and return them."""
    lease_values = {"lease_owner": owner, "lease_until": now + lease}
    with session_scope(engine) as session:
        picked = (
            select(Delivery.id)
            .where(_claimable(now, ids))
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
        session.execute(
            update(Delivery)
            .where(target, _claimable(now, ids))
            .values(**lease_values)
            .execution_options(synchronize_session=False)
        )
    with session_scope(engine) as session:
        rows = session.execute(
            select(Delivery, AlertEvent)
            .join(AlertEvent, AlertEvent.id == Delivery.event_id)
            .where(Delivery.lease_owner == owner, Delivery.status == "pending")
            .order_by(Delivery.next_attempt_at, Delivery.id)
        ).all()
        return [(delivery, event) for delivery, event in rows]
