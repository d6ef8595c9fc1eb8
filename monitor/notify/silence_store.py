"""Stored silences: add, list, expire. A silence added on one replica applies on all.

Bad input (a matcher that does not parse, a regex that does not compile, an end not after
now, no comment) is a :class:`~monitor.errors.ConfigError` (exit 2) and nothing is stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config.matchers import parse_matchers
from monitor.errors import ConfigError, NotFoundError
from monitor.notify.author import check_author
from monitor.notify.silences import ActiveSilence, from_row
from monitor.store.models import Silence

SILENCE_COLUMNS = ["id", "matchers", "starts_at", "ends_at", "state", "author", "comment"]


def add_silence(
    session: Session,
    matchers: Sequence[str],
    *,
    ends_at: datetime,
    comment: str,
    author: str,
    now: datetime,
) -> str:
    """Store a silence active from ``now`` to ``ends_at``; returns its id (``sil_...``)."""
    if not matchers:
        raise ConfigError("a silence needs at least one matcher")
    try:
        parse_matchers(matchers)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if ends_at <= now:
        raise ConfigError(f"the silence would end at {ends_at.isoformat()}, which is not after now")
    if not comment.strip():
        raise ConfigError("a silence needs a comment saying why")
    check_author(author)
    silence_id = f"sil_{uuid.uuid4().hex[:16]}"
    session.add(
        Silence(
            id=silence_id,
            matchers=json.dumps(list(matchers)),
            starts_at=now,
            ends_at=ends_at,
            author=author,
            comment=comment,
            created_at=now,
        )
    )
    return silence_id


def expire_silence(session: Session, silence_id: str, now: datetime) -> None:
    """End a silence now; an unknown or already ended one is a ConfigError."""
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFoundError(f"no silence with id {silence_id!r}")
    if silence.ends_at <= now:
        raise ConfigError(f"silence {silence_id} already ended at {silence.ends_at.isoformat()}")
    silence.ends_at = now


def active_silences(session: Session, now: datetime) -> list[ActiveSilence]:
    """The silences active at ``now``."""
    query = select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)
    return [_active(s) for s in session.scalars(query)]


def list_silences(
    session: Session, now: datetime, *, everything: bool = False
) -> list[dict[str, Any]]:
    """Active silences (or every stored one), newest first, as plain rows."""
    query = select(Silence).order_by(Silence.created_at.desc(), Silence.id)
    if not everything:
        query = query.where(Silence.ends_at > now)
    return [_row(s, now) for s in session.scalars(query)]


def _active(silence: Silence) -> ActiveSilence:
    return from_row(silence.id, silence.matchers, silence.starts_at, silence.ends_at)


def _row(silence: Silence, now: datetime) -> dict[str, Any]:
    return {
        "id": silence.id,
        "matchers": ", ".join(json.loads(silence.matchers)),
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "state": "active" if _active(silence).active(now) else "expired",
        "author": silence.author,
        "comment": silence.comment,
    }
