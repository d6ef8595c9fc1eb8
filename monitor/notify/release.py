"""Alerts a silence held: notify them once the silence is over, if they still fire.

For each firing alert whose latest firing event was held by a silence that no longer
matches it (expired, ended, or deleted from the matchers' reach), the event is queued now, once:
a conditional update of its ``suppressed`` note is the claim, so two replicas releasing at the
same moment queue it once. Run after every evaluation and, as :func:`release_due`, before
every dispatch: the daemon's dispatch job and ``firealarm deliver``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.notify.queue import Notice, queue_notifications, rule_labels
from monitor.notify.silence_store import active_silences
from monitor.notify.silences import SILENCED, silencing
from monitor.rules.evaluator import FIRING
from monitor.rules.stale import configured_rules
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, RuleState

RELEASED = "; sent when it ended"


def release_ended(
    session: Session, config: Config, now: datetime, environ: Mapping[str, str]
) -> int:
    """Queue the held firing alerts no silence holds any more; returns deliveries created
    (``environ``: the Apprise URLs, as for :func:`~monitor.notify.queue.queue_notifications`)."""
    held = _held(session)
    if not held:
        return 0
    rules = configured_rules(config)
    firing = {
        state.fingerprint: (rules[state.fingerprint], state.active_since)
        for state in session.scalars(
            select(RuleState).where(
                RuleState.state == FIRING, RuleState.fingerprint.in_({f for _, f, _ in held})
            )
        )
        if state.fingerprint in rules
    }
    silences = active_silences(session, now)
    notices = []
    for event_id, fingerprint, note in held:
        if fingerprint not in firing:
            continue
        rule, since = firing[fingerprint]
        if silencing(silences, rule_labels(rule), now) is not None:
            continue
        claimed = session.execute(
            update(AlertEvent)
            .where(AlertEvent.id == event_id, AlertEvent.suppressed == note)
            .values(suppressed=note + RELEASED)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            notices.append(Notice(event_id, fingerprint, rule, active_since=since))
    by_fingerprint = {fingerprint: rule for fingerprint, (rule, _) in firing.items()}
    return queue_notifications(session, config, notices, by_fingerprint, now, environ)


def release_due(engine: Engine, config: Config, now: datetime, environ: Mapping[str, str]) -> int:
    """The step before each dispatch (the daemon's tick, ``firealarm deliver``): alerts held
    by silences that have ended since are queued, in a transaction of their own, so the
    dispatch that follows sends them. Returns the deliveries created."""
    with session_scope(engine) as session:
        return release_ended(session, config, now, environ)


def _held(session: Session) -> list[tuple[int, str, str]]:
    """Firing events a silence held and nothing has released, each its alert's latest firing."""
    query = select(AlertEvent.id, AlertEvent.fingerprint, AlertEvent.suppressed).where(
        AlertEvent.state == FIRING,
        AlertEvent.suppressed.startswith(SILENCED),
        AlertEvent.suppressed.not_like(f"%{RELEASED}"),
    )
    held = session.execute(query).all()
    if not held:
        return []
    latest = dict(
        session.execute(
            select(AlertEvent.fingerprint, func.max(AlertEvent.id))
            .where(
                AlertEvent.fingerprint.in_({row.fingerprint for row in held}),
                AlertEvent.state == FIRING,
            )
            .group_by(AlertEvent.fingerprint)
        ).all()
    )
    return [
        (row.id, row.fingerprint, row.suppressed)
        for row in held
        if latest[row.fingerprint] == row.id
    ]
