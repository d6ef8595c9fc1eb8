"""The configured instruments with what is stored for each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store.models import Observation

INSTRUMENT_COLUMNS = [
    "symbol",
    "source",
    "name",
    "unit",
    "period",
    "first_date",
    "last_date",
    "observations",
]


def instruments(session: Session, config: Config) -> list[dict[str, Any]]:
    """Every configured instrument, in config order, with its stored date range and row count."""
    stored = {
        row.symbol: row
        for row in session.execute(
            select(
                Observation.symbol,
                func.min(Observation.date).label("first_date"),
                func.max(Observation.date).label("last_date"),
                func.count().label("observations"),
            ).group_by(Observation.symbol)
        )
    }
    rows = []
    for instrument in config.instruments:
        found = stored.get(instrument.symbol)
        rows.append(
            {
                "symbol": instrument.symbol,
                "source": instrument.source,
                "name": instrument.name,
                "unit": instrument.unit,
                "period": instrument.period,
                "first_date": found.first_date if found else None,
                "last_date": found.last_date if found else None,
                "observations": found.observations if found else 0,
            }
        )
    return rows
