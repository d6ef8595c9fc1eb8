"""History a source rescaled: seen in a fetch's overlap with the store, so the fetch re-reads it.

Yahoo's closes are adjusted for dividends and splits: after one, Yahoo rescales every earlier
close, but an incremental fetch re-reads only the revision window. When the oldest dates a fetch
shares with the store all differ from the stored closes by one common factor, the stored history
of that symbol was rescaled and is downloaded again whole. A single revised value, or values
revised by different amounts, are ordinary revisions the upsert handles. The check is the same
for every source; in practice only adjusted closes rescale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.models import Observation

TOLERANCE = 1e-5  # relative, 0.001 %: below any dividend, far above floating-point noise
OLDEST = 2  # how many of the oldest shared dates must show the same factor


def rescaled(session: Session, rows: pd.DataFrame) -> list[str]:
    """The symbols among observation ``rows`` whose stored closes the rows show rescaled."""
    found = []
    for (symbol, provider), group in rows.groupby(["symbol", "provider"], sort=False):
        new = dict(zip(group["date"].dt.date, group["close"].tolist(), strict=True))
        if _is_rescaled(session, str(symbol), str(provider), new):
            found.append(str(symbol))
    return found


def _is_rescaled(session: Session, symbol: str, provider: str, new: Mapping[date, float]) -> bool:
    """Compared with the provider's own stored closes only: another's differ by design."""
    query = (
        select(Observation.date, Observation.close)
        .where(
            Observation.symbol == symbol,
            Observation.provider == provider,
            Observation.date.between(min(new), max(new)),
        )
        .order_by(Observation.date)
    )
    ratios = [new[day] / close for day, close in session.execute(query) if day in new and close]
    oldest = ratios[:OLDEST]
    return (
        len(oldest) == OLDEST
        and all(abs(ratio - 1.0) > TOLERANCE for ratio in oldest)
        and all(math.isclose(ratio, oldest[0], rel_tol=TOLERANCE) for ratio in oldest)
    )


def first_date(session: Session, symbols: Iterable[str]) -> date:
    """The oldest stored date of any of ``symbols`` (which have stored rows)."""
    query = select(func.min(Observation.date)).where(Observation.symbol.in_(list(symbols)))
    day = session.execute(query).scalar()
    assert day is not None
    return day


def with_history(session: Session, symbols: Iterable[str]) -> list[str]:
    """Those of ``symbols`` that have stored rows, in the order given."""
    wanted = list(symbols)
    query = select(Observation.symbol).where(Observation.symbol.in_(wanted)).distinct()
    stored = set(session.scalars(query))
    return [s for s in wanted if s in stored]
