"""Acknowledgements: ``firealarm ack RULE`` stops the repeats of a firing alert.

An ack names the firing it acknowledges by the alert's ``active_since``; when the alert
resolves or fires anew that start changes, so the ack no longer applies. Stored, so every
replica honours it. Acking an alert that is not firing is a NotFoundError (exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import ConfigError, NotFoundError
from monitor.notify.author import check_author
from monitor.rules.evaluator import FIRING
from monitor.store.models import Acknowledgement, AlertEvent, RuleState

ACK_COLUMNS = ["rule", "labels", "since", "author", "comment", "acknowledged_at"]


def acknowledge(
    session: Session,
    rule: str,
    labels: Mapping[str, str],
    *,
    comment: str,
    author: str,
    now: datetime,
) -> list[str]:
    """Acknowledge every firing alert of ``rule`` whose labels include ``labels``.

    Returns their fingerprints; none firing is a ConfigError and nothing is stored.
    """
    if not comment.strip():
        raise ConfigError("an acknowledgement needs a comment")
    check_author(author)
    firing = session.scalars(
        select(RuleState).where(RuleState.rule == rule, RuleState.state == FIRING)
    ).all()
    chosen = [s for s in firing if labels.items() <= _labels(session, s.fingerprint).items()]
    if not chosen:
        wanted = "".join(f" {k}={v}" for k, v in labels.items())
        raise NotFoundError(f"no firing alert of rule {rule!r}{wanted} to acknowledge")
    session.add_all(
        Acknowledgement(
            fingerprint=state.fingerprint,
            rule=rule,
            active_since=state.active_since,
            author=author,
            comment=comment,
            created_at=now,
        )
        for state in chosen
    )
    return [state.fingerprint for state in chosen]


def acknowledged(session: Session, fingerprints: Collection[str]) -> set[tuple[str, date | None]]:
    """(fingerprint, active_since) of every acknowledged firing among ``fingerprints``."""
    if not fingerprints:
        return set()
    query = select(Acknowledgement.fingerprint, Acknowledgement.active_since).where(
        Acknowledgement.fingerprint.in_(fingerprints)
    )
    return {(fingerprint, since) for fingerprint, since in session.execute(query)}


def current_acks(session: Session) -> dict[str, dict[str, Any]]:
    """The latest ack of each alert whose current firing is acknowledged, by fingerprint."""
    query = (
        select(Acknowledgement)
        .join(RuleState, RuleState.fingerprint == Acknowledgement.fingerprint)
        .where(RuleState.state == FIRING, RuleState.active_since == Acknowledgement.active_since)
        .order_by(Acknowledgement.id)
    )
    return {
        ack.fingerprint: {
            "rule": ack.rule,
            "since": ack.active_since,
            "author": ack.author,
            "comment": ack.comment,
            "acknowledged_at": ack.created_at,
        }
        for ack in session.scalars(query)
    }


def _labels(session: Session, fingerprint: str) -> dict[str, str]:
    labels = session.scalar(
        select(AlertEvent.labels)
        .where(AlertEvent.fingerprint == fingerprint)
        .order_by(AlertEvent.id.desc())
        .limit(1)
    )
    return dict(json.loads(labels or "{}"))
