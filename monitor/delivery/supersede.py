"""Held notifications that no longer apply when they come due: superseded, not sent.

A notification held by a mute interval (its delivery due when the interval ends) is sent then
only if it still says what is true, as Alertmanager decides when it flushes a muted group:

- a firing whose alert has resolved since is superseded;
- a resolution whose alert has fired again since is superseded (the new firing is sent);
- a resolution whose firing on that channel was held and superseded itself is superseded too:
  the receiver never heard of the alert, and Alertmanager sends nothing for an alert that
  fired and resolved unseen. A firing the channel was sent before the hold keeps its
  resolution.

A group notification lists each alert once, in its latest state
(:mod:`monitor.delivery.members`); a held one is superseded when every alert it lists has
resolved and none of them was sent firing to its channel outside it.

A superseded delivery keeps its row, with status ``superseded`` and the reason in
``last_error``, so the outbox shows what was held and why it was not sent. Run by every
dispatch pass (``firealarm deliver`` and the daemon's) before it claims.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from monitor.store.database import session_scope
from monitor.store.locks import lock_sqlite_writes
from monitor.store.models import AlertEvent, Delivery, DeliveryEvent

log = logging.getLogger(__name__)
SUPERSEDED = "superseded"
RESOLVED_SINCE = "held, and the alert resolved before it was due"
FIRED_SINCE = "held, and the alert fired again before it was due"
NEVER_SENT = "held, and the firing it resolves was never sent to this channel"

History = Mapping[str, list[tuple[int, str]]]  # fingerprint -> (event id, state), oldest first
Sent = Mapping[tuple[int, str], list[tuple[str, str]]]  # (firing event, channel) -> deliveries


@dataclass
class _Held:
    """A held delivery due now: its channel and the events it announces (event id,
    fingerprint), a group notification's every listed one."""

    channel: str
    grouped: bool
    events: list[tuple[int, str]] = field(default_factory=list)


def supersede_held(
    engine: Engine, *, now: datetime, ids: Sequence[str] | None = None
) -> dict[str, str]:
    """Mark the held deliveries due at ``now`` (only ``ids``, if given) that no longer apply
    ``superseded``; returns delivery id -> why."""
    with session_scope(engine) as session:  # usually nothing is held: no lock taken
        if session.scalar(select(Delivery.id).where(_held_due(now, ids)).limit(1)) is None:
            return {}
    with session_scope(engine) as session:
        # No evaluation may add an alert to a held group notification while it is judged:
        # SQLite's write lock, or (PostgreSQL) the rows locked, as joining one locks it.
        lock_sqlite_writes(session)
        held = _held(session, now, ids)
        if not held:
            return {}
        history = _history(session, {f for h in held.values() for _, f in h.events})
        reasons = _judge(held, history, _firing_deliveries(session, history))
        marked = _mark(session, reasons, now)
    for delivery_id, reason in marked.items():
        log.info(
            "delivery.superseded %s: %s",
            delivery_id,
            reason,
            extra={"delivery_id": delivery_id, "reason": reason},
        )
    return marked


def _judge(held: Mapping[str, _Held], history: History, sent: Sent) -> dict[str, str]:
    """Delivery id -> why, for those that no longer apply; a firing is judged before its
    resolution, which may depend on it."""
    reasons: dict[str, str] = {}
    for delivery_id, item in sorted(held.items(), key=lambda h: min(h[1].events)):
        reason = _reason(delivery_id, item, history, sent, reasons)
        if reason is not None:
            reasons[delivery_id] = reason
    return reasons


def _mark(session: Session, reasons: Mapping[str, str], now: datetime) -> dict[str, str]:
    """Mark ``reasons``' deliveries superseded (those still held) and return those marked."""
    marked: set[str] = set()
    for reason in set(reasons.values()):
        chosen = [d for d, r in reasons.items() if r == reason]
        marked.update(
            session.scalars(
                update(Delivery)
                .where(Delivery.id.in_(chosen), _held_due(now, None))
                .values(status=SUPERSEDED, last_error=reason)
                .returning(Delivery.id)
                .execution_options(synchronize_session=False)
            )
        )
    return {d: r for d, r in reasons.items() if d in marked}


def _held_due(now: datetime, ids: Sequence[str] | None) -> ColumnElement[bool]:
    """Never tried nor replayed, queued due later than created (held), due now, and claimed
    by no one."""
    held = and_(
        Delivery.status == "pending",
        Delivery.attempts == 0,
        Delivery.replayed_at.is_(None),
        Delivery.next_attempt_at > Delivery.created_at,
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
    )
    return and_(held, Delivery.id.in_(ids)) if ids is not None else held


def _held(session: Session, now: datetime, ids: Sequence[str] | None) -> dict[str, _Held]:
    """The held deliveries due now, locked (PostgreSQL; one being joined or claimed is
    skipped, and judged at the next pass)."""
    due = select(Delivery.id).where(_held_due(now, ids))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    locked = list(session.scalars(due))
    if not locked:
        return {}
    own = (
        select(Delivery.id, Delivery.channel, AlertEvent.id, AlertEvent.fingerprint)
        .join(AlertEvent, AlertEvent.id == Delivery.event_id)
        .where(Delivery.id.in_(locked), Delivery.group_key.is_(None))
    )
    listed = (
        select(Delivery.id, Delivery.channel, AlertEvent.id, AlertEvent.fingerprint)
        .join(DeliveryEvent, DeliveryEvent.delivery_id == Delivery.id)
        .join(AlertEvent, AlertEvent.id == DeliveryEvent.event_id)
        .where(Delivery.id.in_(locked), Delivery.group_key.is_not(None))
    )
    held: dict[str, _Held] = {}
    for query, grouped in ((own, False), (listed, True)):
        for delivery_id, channel, event_id, fingerprint in session.execute(query):
            item = held.setdefault(delivery_id, _Held(channel, grouped))
            item.events.append((event_id, fingerprint))
    return held


def _history(session: Session, fingerprints: set[str]) -> dict[str, list[tuple[int, str]]]:
    """Each alert's firing and resolved events, oldest first: (event id, state)."""
    rows = session.execute(
        select(AlertEvent.fingerprint, AlertEvent.id, AlertEvent.state)
        .where(
            AlertEvent.fingerprint.in_(fingerprints),
            AlertEvent.state.in_(("firing", "resolved")),
        )
        .order_by(AlertEvent.id)
    )
    history: dict[str, list[tuple[int, str]]] = {f: [] for f in fingerprints}
    for fingerprint, event_id, state in rows:
        history[fingerprint].append((event_id, state))
    return history


def _firing_deliveries(session: Session, history: History) -> Sent:
    """The deliveries announcing or listing these alerts' firing events, by event and
    channel: (delivery id, status)."""
    firing = [event_id for events in history.values() for event_id, s in events if s == "firing"]
    columns = (Delivery.channel, Delivery.id, Delivery.status)
    own = select(Delivery.event_id, *columns).where(Delivery.event_id.in_(firing))
    listed = (
        select(DeliveryEvent.event_id, *columns)
        .join(Delivery, Delivery.id == DeliveryEvent.delivery_id)
        .where(DeliveryEvent.event_id.in_(firing))
    )
    sent: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for query in (own, listed):
        for event_id, channel, delivery_id, status in session.execute(query):
            sent.setdefault((event_id, channel), []).append((delivery_id, status))
    return sent


def _reason(
    delivery_id: str,
    held: _Held,
    history: History,
    sent: Sent,
    superseded: Mapping[str, str],
) -> str | None:
    """Why the held delivery no longer applies (None: send it)."""
    if held.grouped:
        latest = {f: max(i for i, g in held.events if g == f) for _, f in held.events}
        states = {f: dict(history[f])[i] for f, i in latest.items()}
        if all(s == "resolved" for s in states.values()) and all(
            _unseen(history[f], i, held.channel, delivery_id, sent, superseded)
            for f, i in latest.items()
        ):
            return NEVER_SENT
        return None
    [(event_id, fingerprint)] = held.events
    events = history[fingerprint]
    later = {s for i, s in events if i > event_id}
    if dict(events)[event_id] == "firing":
        return RESOLVED_SINCE if "resolved" in later else None
    if "firing" in later:
        return FIRED_SINCE
    if _unseen(events, event_id, held.channel, delivery_id, sent, superseded):
        return NEVER_SENT
    return None


def _unseen(
    events: list[tuple[int, str]],
    resolved_id: int,
    channel: str,
    delivery_id: str,
    sent: Sent,
    superseded: Mapping[str, str],
) -> bool:
    """Whether the firing that ``resolved_id`` resolves went to ``channel`` only inside
    ``delivery_id`` itself or in deliveries superseded since (some delivery had it: a firing
    that was never queued, e.g. old history, keeps its resolution)."""
    earlier = [(i, s) for i, s in events if i < resolved_id]
    last_resolve = max((i for i, s in earlier if s == "resolved"), default=0)
    episode = [i for i, s in earlier if s == "firing" and i > last_resolve]
    carriers = [d for i in episode for d in sent.get((i, channel), [])]
    return bool(carriers) and all(
        d == delivery_id or d in superseded or status == SUPERSEDED for d, status in carriers
    )
