"""Each instrument's provider chain: how every provider last fared, and who served the newest."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store.models import Observation, ProviderState

PROVIDER_COLUMNS = [
    "symbol",
    "position",
    "provider",
    "last_success_at",
    "last_failure_at",
    "last_error",
    "refused",
    "scale",
    "newest",
]


def provider_chains(session: Session, config: Config) -> list[dict[str, Any]]:
    """One row per (instrument, provider) in chain order; ``newest`` is the date of the newest
    stored value on the provider's row that served it (a provider no longer in the chain that
    did gets a row of its own, with no position)."""
    states = {(s.symbol, s.provider): s for s in session.scalars(select(ProviderState))}
    newest = _newest(session)
    rows = []
    for instrument in config.instruments:
        latest = newest.get(instrument.symbol)
        entries = list(instrument.sources)
        if latest and latest[1] not in entries:
            entries.append(latest[1])
        for position, entry in enumerate(entries, start=1):
            state = states.get((instrument.symbol, entry))
            rows.append(
                {
                    "symbol": instrument.symbol,
                    "position": position if entry in instrument.sources else None,
                    "provider": entry,
                    "last_success_at": state.last_success_at if state else None,
                    "last_failure_at": state.last_failure_at if state else None,
                    "last_error": state.last_error if state else None,
                    "refused": state.refusal if state else None,
                    "scale": state.scale if state else None,
                    "newest": latest[0] if latest and latest[1] == entry else None,
                }
            )
    return rows


def _newest(session: Session) -> dict[str, tuple[date, str]]:
    """Per symbol, the date of its newest observation and the provider that served it."""
    last = (
        select(Observation.symbol, func.max(Observation.date).label("day"))
        .group_by(Observation.symbol)
        .subquery()
    )
    query = select(Observation.symbol, Observation.date, Observation.provider).join(
        last, and_(Observation.symbol == last.c.symbol, Observation.date == last.c.day)
    )
    return {symbol: (day, provider) for symbol, day, provider in session.execute(query)}
