"""Which stored observations changed since signals were last computed from them.

Ingest records, in the transaction that writes observations, the earliest available date whose
stored observation of a symbol actually changed (a new row, another close or available date):
one :class:`~monitor.store.models.PendingChange` per symbol and write. An evaluation reads the
changes available by its as-of date, recomputes the signals reading those symbols from there, and
deletes exactly the rows it read, so a change a concurrent fetch commits meanwhile stays for the
next evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from monitor.store.models import Observation, PendingChange


def earliest_changes(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[str, date]:
    """Per symbol, the earliest available date that ``rows`` change in the store.

    The stored rows compared are locked (``FOR UPDATE`` on PostgreSQL) until the caller's
    transaction ends, so no concurrent writer changes them between the comparison and the write;
    always in (symbol, date) order, so two writers cannot deadlock on them.
    """
    by_symbol: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_symbol[row["symbol"]].append(row)
    result = {}
    for symbol, new in sorted(by_symbol.items()):
        stored = _stored(session, symbol, min(r["date"] for r in new), max(r["date"] for r in new))
        changed = [day for row in new for day in _changed_dates(row, stored.get(row["date"]))]
        if changed:
            result[symbol] = min(changed)
    return result


def _stored(
    session: Session, symbol: str, first: date, last: date
) -> dict[date, tuple[float, date]]:
    query = (
        select(Observation.date, Observation.close, Observation.available_date)
        .where(Observation.symbol == symbol, Observation.date.between(first, last))
        .order_by(Observation.date)
        .with_for_update()
    )
    return {day: (close, available) for day, close, available in session.execute(query)}


def _changed_dates(row: Mapping[str, Any], stored: tuple[float, date] | None) -> list[date]:
    """The available dates whose signal values ``row`` can change: none if it changes nothing."""
    if stored is None:
        return [row["available_date"]]
    close, available = stored
    if close == row["close"] and available == row["available_date"]:
        return []
    return [available, row["available_date"]]


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
