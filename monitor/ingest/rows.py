"""Writing observation rows: idempotent upserts that record what changed for the evaluation.

Every write records, in its transaction, from which date each symbol changed
(:mod:`monitor.store.changes`), so the next evaluation recomputes only what can have changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.ingest.validate import ROW_COLUMNS, no_rows
from monitor.store import changes
from monitor.store.bulk import upsert_frame
from monitor.store.models import Observation, table_of


def observation_rows(rows: pd.DataFrame | Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """``rows`` (a frame, or dicts as :func:`store_observations` took them) as row columns."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if frame.empty:
        return no_rows()
    if "provider" not in frame:  # rows written before chains: the source is the provider
        frame = frame.assign(provider=frame["source"])
    frame = frame[list(ROW_COLUMNS)]
    if not all(pd.api.types.is_datetime64_dtype(frame[c]) for c in ("date", "available_date")):
        frame = frame.assign(
            date=pd.to_datetime(frame["date"]),
            available_date=pd.to_datetime(frame["available_date"]),
        )
    return frame


def store_observations(
    session: Session,
    rows: pd.DataFrame | Sequence[Mapping[str, object]],
    *,
    now: datetime | None = None,
) -> int:
    """Upsert observation rows keyed by (symbol, date), recording what changed as pending.

    The pending changes (:mod:`monitor.store.changes`) tell the next evaluation which signals to
    recompute from which date, in the same transaction as the rows. ``fetched_at`` is ``now``.
    """
    return store_batches(session, [observation_rows(rows)], now=now or datetime.now(UTC))


def store_batches(session: Session, batches: Iterable[pd.DataFrame], *, now: datetime) -> int:
    """:func:`store_observations` of each batch in turn, with one pending change per symbol."""
    earliest: dict[str, date] = {}
    written = 0
    for batch in batches:
        for symbol, day in changes.earliest_changes(session, batch).items():
            earliest[symbol] = min(day, earliest.get(symbol, day))
        written += upsert_frame(
            session.connection(),
            table_of(Observation),
            batch,
            key=("symbol", "date"),
            constants={"fetched_at": now},
        )
    changes.record(session, earliest, now)
    return written


def last_dates(session: Session, symbols: Iterable[str]) -> dict[str, date]:
    """The newest stored date of each symbol that has any."""
    query = (
        select(Observation.symbol, func.max(Observation.date))
        .where(Observation.symbol.in_(list(symbols)))
        .group_by(Observation.symbol)
    )
    return {symbol: day for symbol, day in session.execute(query)}
