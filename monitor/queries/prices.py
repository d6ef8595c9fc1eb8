"""Stored observations and fetch runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.queries.paging import paged
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
    "provider",
]
_VALUES = ["close", "open", "high", "low", "adj_close", "volume"]


def prices(
    session: Session,
    symbol: str,
    since: date | None = None,
    until: date | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Observations of ``symbol`` in date order, optionally bounded (inclusive) and paged."""
    columns = [getattr(Observation, c) for c in PRICE_COLUMNS]
    query = select(*columns).where(Observation.symbol == symbol)
    if since is not None:
        query = query.where(Observation.date >= since)
    if until is not None:
        query = query.where(Observation.date <= until)
    query = paged(query.order_by(Observation.date), limit, offset)
    return [row._asdict() for row in session.execute(query)]


def prices_version(session: Session, symbol: str) -> tuple[Any, ...]:
    """What changes whenever a stored observation of ``symbol`` does, in one aggregate.

    The row count, the newest fetch, the newest ``available_date``, and the sum and number of
    the present values of every price column: a revision stamped earlier than the newest fetch
    (a writer that started first and committed last) still changes a sum, and a value filled
    in or dropped changes a number.
    """
    columns = [getattr(Observation, c) for c in _VALUES]
    sums = [f(c) for c in columns for f in (func.sum, func.count)]
    query = select(
        func.count(), func.max(Observation.fetched_at), func.max(Observation.available_date), *sums
    ).where(Observation.symbol == symbol)
    return tuple(session.execute(query).one())


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
