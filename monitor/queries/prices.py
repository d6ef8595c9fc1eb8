"""Stored observations and fetch runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import FetchRun, Observation

PRICE_COLUMNS = [
    "date",
    "close",
    "open",
    "high",
    "low",
    "adj_close",
    "volume",
    "available_date",
]


def prices(
    session: Session, symbol: str, since: date | None = None, until: date | None = None
) -> list[dict[str, Any]]:
    """Observations of ``symbol`` in date order, optionally bounded."""
    query = select(Observation).where(Observation.symbol == symbol).order_by(Observation.date)
    if since is not None:
        query = query.where(Observation.date >= since)
    if until is not None:
        query = query.where(Observation.date <= until)
    return [{c: getattr(o, c) for c in PRICE_COLUMNS} for o in session.scalars(query)]


def latest_fetch_runs(session: Session) -> list[dict[str, Any]]:
    """The newest fetch run of each source."""
    runs = session.scalars(
        select(FetchRun).order_by(FetchRun.started_at.desc(), FetchRun.id.desc())
    )
    latest: dict[str, FetchRun] = {}
    for run in runs:
        latest.setdefault(run.source, run)
    return [
        {
            "source": r.source,
            "started_at": r.started_at,
            "status": r.status,
            "rows": r.rows,
            "rejected": r.rejected,
            "error": r.error,
        }
        for r in latest.values()
    ]
