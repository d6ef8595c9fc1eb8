"""Which stored observations changed since signals were last computed from them.

Ingest records, in the transaction that writes observations, the earliest available date whose
stored observation of a symbol actually changed (a new row, another close or available date):
one :class:`~monitor.store.models.PendingChange` per symbol and write. An evaluation reads the
changes available by its as-of date, recomputes the signals reading those symbols from there, and
deletes exactly the rows it read, so a change a concurrent fetch commits meanwhile stays for the
next evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from monitor.store.dates import as_stored, driver_rows, to_datetime64
from monitor.store.models import Observation, PendingChange


def earliest_changes(session: Session, rows: pd.DataFrame) -> dict[str, date]:
    """Per symbol, the earliest available date that ``rows`` change in the store.

    ``rows`` are observation rows (``datetime64`` dates). The stored rows compared are locked
    (``FOR UPDATE`` on PostgreSQL) until the caller's transaction ends, so no concurrent writer
    changes them between the comparison and the write; always in (symbol, date) order, so two
    writers cannot deadlock on them.
    """
    result = {}
    for symbol, new in rows.groupby("symbol", sort=True):
        days = new["date"].to_numpy().astype("datetime64[D]")
        available = new["available_date"].to_numpy().astype("datetime64[D]")
        stored = _stored(session, str(symbol), days.min().item(), days.max().item())
        changed = _changed_dates(days, new["close"].to_numpy(dtype=float), available, stored)
        if len(changed):
            result[str(symbol)] = changed.min().item()
    return result


def _stored(session: Session, symbol: str, first: date, last: date) -> tuple[np.ndarray, ...]:
    """Stored (dates, closes, available dates) of ``symbol`` in [first, last], by date."""
    query = (
        select(
            as_stored(session, Observation.date),
            Observation.close,
            as_stored(session, Observation.available_date),
        )
        .where(Observation.symbol == symbol, Observation.date.between(first, last))
        .order_by(Observation.date)
        .with_for_update()
    )
    table = np.array(driver_rows(session, query), dtype=object).reshape(-1, 3)
    return to_datetime64(table[:, 0]), table[:, 1].astype(float), to_datetime64(table[:, 2])


def _changed_dates(
    days: np.ndarray, closes: np.ndarray, available: np.ndarray, stored: tuple[np.ndarray, ...]
) -> np.ndarray:
    """The available dates whose signal values the rows can change (both, for a revision)."""
    stored_days, stored_closes, stored_available = stored
    if not len(stored_days):
        return available
    at = np.minimum(np.searchsorted(stored_days, days), len(stored_days) - 1)
    found = stored_days[at] == days
    revised = found & ((stored_closes[at] != closes) | (stored_available[at] != available))
    return np.concatenate([available[~found], stored_available[at][revised], available[revised]])


def record(session: Session, changes: Mapping[str, date], now: datetime) -> None:
    """Add one pending change per symbol in ``changes`` (symbol -> earliest available date)."""
    if changes:
        session.execute(
            insert(PendingChange),
            [{"symbol": s, "since": day, "recorded_at": now} for s, day in changes.items()],
        )


@dataclass(frozen=True)
class Pending:
    """The pending changes one evaluation read: their ids, and the earliest date per symbol."""

    ids: list[int] = field(default_factory=list)
    since: dict[str, date] = field(default_factory=dict)


def read(session: Session, as_of: date | None) -> Pending:
    """The pending changes available by ``as_of`` (all of them when None)."""
    query = select(PendingChange.id, PendingChange.symbol, PendingChange.since)
    if as_of is not None:
        query = query.where(PendingChange.since <= as_of)
    pending = Pending()
    for id_, symbol, since in session.execute(query):
        pending.ids.append(id_)
        pending.since[symbol] = min(since, pending.since.get(symbol, since))
    return pending


def consume(session: Session, pending: Pending) -> None:
    """Delete the pending changes ``pending`` read, and only those."""
    for start in range(0, len(pending.ids), 500):
        chunk = pending.ids[start : start + 500]
        session.execute(delete(PendingChange).where(PendingChange.id.in_(chunk)))
