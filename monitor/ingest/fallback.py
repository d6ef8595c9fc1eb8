"""Filling what an instrument's primary provider lacks from the next providers of its chain.

A fallback is asked when the primary failed, sent nothing for the instrument, or its newest bar
is older than the last one due (on an exchange holiday that ask finds nothing newer: harmless).
Its closes must fit the stored series (:mod:`monitor.ingest.compatible`), else it is refused and
the reason recorded. It then writes only dates from the fetch window's start that no provider
before it in the chain has stored (its own earlier fills it revises), its values scaled by the
fitted factor, labelled with its chain entry. The first fallback accepted ends the walk.

When the primary serves those dates again, its values replace the fallback's: an ordinary
revision, so the change tracking recomputes the signals from the first replaced date only. The
primary re-reads back to the oldest fallback-served date of the last :data:`REREAD_DAYS` days.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from monitor.availability import available_date, last_closed_day, next_observation_date
from monitor.config import Instrument, ProviderRef
from monitor.errors import DataError, EmptyResponseError, SourceError
from monitor.ingest import compatible, provider_states
from monitor.ingest.retry import Pacing
from monitor.ingest.validate import Validated, validate
from monitor.sources.base import Source
from monitor.store.database import session_scope
from monitor.store.models import Observation

log = logging.getLogger(__name__)

REREAD_DAYS = 92
_SCALED = ["open", "high", "low", "close", "adj_close"]


@dataclass(frozen=True)
class Filled:
    """What the chain did for one instrument: the provider that filled (None: none did), the
    rows written, and a one-line note for the run record."""

    symbol: str
    provider: str | None
    rows: Validated
    note: str


def needs_fallback(instrument: Instrument, newest: date | None, now: datetime) -> bool:
    """Whether to ask ``instrument``'s fallbacks, its primary having served up to ``newest``."""
    if len(instrument.sources) < 2:
        return False
    if newest is None:
        return True
    due = available_date(instrument, next_observation_date(instrument, newest))
    return due <= last_closed_day(instrument.calendar, now)


def fill(
    engine: Engine,
    sources: Mapping[str, Source],
    instrument: Instrument,
    *,
    start: date,
    now: datetime,
    tolerance: float,
    pacing: Pacing,
) -> Filled:
    """Walk ``instrument``'s fallbacks until one is accepted; rows to store, not yet stored."""
    notes = []
    for rank, ref in enumerate(instrument.chain[1:], start=1):
        stored = _recent_closes(engine, instrument.symbol, ref.entry)
        since = min(start, min(stored)) if stored else start
        try:
            offered = _offered(sources, instrument, ref, since, now, pacing)
        except (SourceError, DataError) as exc:
            provider_states.failed(engine, [instrument.symbol], ref.entry, now, str(exc))
            notes.append(f"{ref.entry} failed: {exc}")
            continue
        closes = dict(zip(offered.rows["date"].dt.date, offered.rows["close"], strict=True))
        verdict = compatible.judge(stored, closes, tolerance)
        if not verdict.accepted:
            assert verdict.reason is not None
            provider_states.refused(
                engine, instrument.symbol, ref.entry, now, verdict.reason, verdict.scale
            )
            log.warning(
                "fallback %s for %s refused: %s", ref.entry, instrument.symbol, verdict.reason
            )
            notes.append(f"{ref.entry} refused: {verdict.reason}")
            continue
        rows = _fillable(
            engine, instrument, rank, _labelled(offered.rows, ref, verdict.scale), start
        )
        provider_states.succeeded(engine, [instrument.symbol], ref.entry, now, verdict.scale)
        notes.append(f"{len(rows)} dates from {ref.entry}")
        return Filled(
            instrument.symbol, ref.entry, Validated(rows, offered.rejected), "; ".join(notes)
        )
    return Filled(instrument.symbol, None, Validated(), "; ".join(notes))


def _offered(
    sources: Mapping[str, Source],
    instrument: Instrument,
    ref: ProviderRef,
    since: date,
    now: datetime,
    pacing: Pacing,
) -> Validated:
    """``ref``'s validated rows for ``instrument`` from ``since``, labelled as its own."""
    source = sources.get(ref.name)
    if source is None:
        raise SourceError(f"{ref.name}: no such source adapter in this run")
    asked = instrument.model_copy(update={"symbol": ref.asked(instrument.symbol)})
    frame = pacing.call(ref.name, lambda: source.fetch([asked], since, None))
    if frame.attrs.get("missing") or frame.empty:
        raise EmptyResponseError(f"{ref.name}: no data for {asked.symbol}")
    frame = frame.assign(symbol=instrument.symbol)
    return validate(frame, {instrument.symbol: instrument}, now)


def _recent_closes(engine: Engine, symbol: str, provider: str) -> dict[date, float]:
    """The newest :data:`~compatible.OVERLAP` stored closes of ``symbol`` not from ``provider``."""
    query = (
        select(Observation.date, Observation.close)
        .where(Observation.symbol == symbol, Observation.provider != provider)
        .order_by(Observation.date.desc())
        .limit(compatible.OVERLAP)
    )
    with session_scope(engine) as session:
        return {day: close for day, close in session.execute(query)}


def _labelled(rows: pd.DataFrame, ref: ProviderRef, scale: float) -> pd.DataFrame:
    scaled = {column: rows[column] * scale for column in _SCALED}
    return rows.assign(**scaled, source=ref.name, provider=ref.entry)


def _fillable(
    engine: Engine, instrument: Instrument, rank: int, rows: pd.DataFrame, start: date
) -> pd.DataFrame:
    """``rows`` from ``start`` on dates no provider before ``rank`` in the chain has stored."""
    rank_of = {entry: n for n, entry in enumerate(instrument.sources)}
    query = select(Observation.date, Observation.provider).where(
        Observation.symbol == instrument.symbol, Observation.date >= start
    )
    with session_scope(engine) as session:
        # A provider not in the chain (an import, one removed since) counts as before them all.
        taken = {day for day, p in session.execute(query) if rank_of.get(p, -1) < rank}
    days = rows["date"].dt.date
    keep = (days >= start) & ~days.isin(list(taken))
    kept: pd.DataFrame = rows[keep.to_numpy()].reset_index(drop=True)
    return kept


def reread_start(engine: Engine, instruments: list[Instrument], now: datetime) -> date | None:
    """The oldest date of the last :data:`REREAD_DAYS` a fallback served, for the primary to
    re-read (None: none)."""
    chained = {i.symbol: set(i.sources[1:]) for i in instruments if len(i.sources) > 1}
    if not chained:
        return None
    query = (
        select(Observation.symbol, Observation.provider, func.min(Observation.date))
        .where(
            Observation.symbol.in_(list(chained)),
            Observation.date >= now.date() - timedelta(days=REREAD_DAYS),
        )
        .group_by(Observation.symbol, Observation.provider)
    )
    with session_scope(engine) as session:
        found = [day for s, p, day in session.execute(query) if p in chained[s]]
    return min(found, default=None)
