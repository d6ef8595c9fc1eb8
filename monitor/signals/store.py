"""Reading signal inputs from the store and writing signal values back, changed rows only."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from monitor.store.models import Observation, SignalValue
from monitor.store.upsert import upsert


def _series(rows: list[tuple[date, float]]) -> pd.Series:
    index = pd.DatetimeIndex([pd.Timestamp(day) for day, _ in rows])
    return pd.Series([value for _, value in rows], index=index, dtype=float)


def read_instrument(
    session: Session, symbol: str, since: date | None, until: date | None
) -> pd.Series:
    """Closes of ``symbol`` by available date; of two sharing one, the later observation's."""
    query = select(Observation.available_date, Observation.close).where(
        Observation.symbol == symbol
    )
    if since is not None:
        query = query.where(Observation.available_date >= since)
    if until is not None:
        query = query.where(Observation.available_date <= until)
    query = query.order_by(Observation.available_date, Observation.date)
    series = _series(list(session.execute(query).all()))
    return series[~series.index.duplicated(keep="last")]


def read_signal(session: Session, signal: str, since: date | None, until: date | None) -> pd.Series:
    """Stored values of ``signal`` by date."""
    query = select(SignalValue.date, SignalValue.value).where(SignalValue.signal == signal)
    if since is not None:
        query = query.where(SignalValue.date >= since)
    if until is not None:
        query = query.where(SignalValue.date <= until)
    return _series(list(session.execute(query.order_by(SignalValue.date)).all()))


def prior_max(session: Session, name: str, *, is_signal: bool, before: date) -> float | None:
    """The largest value of an instrument or signal available before ``before`` (one aggregate)."""
    if is_signal:
        query = select(func.max(SignalValue.value)).where(
            SignalValue.signal == name, SignalValue.date < before
        )
    else:
        query = select(func.max(Observation.close)).where(
            Observation.symbol == name, Observation.available_date < before
        )
    return session.execute(query).scalar()


def latest_date(session: Session, signal: str, until: date | None = None) -> date | None:
    """The newest stored date of ``signal`` (at or before ``until``)."""
    query = select(func.max(SignalValue.date)).where(SignalValue.signal == signal)
    if until is not None:
        query = query.where(SignalValue.date <= until)
    return session.execute(query).scalar()


def save(
    session: Session,
    signal: str,
    values: pd.Series,
    *,
    since: date | None,
    until: date | None,
    now: datetime,
) -> tuple[int, int]:
    """Make the stored values of ``signal`` in [since, until] equal ``values``.

    Only new or changed values are written (with ``computed_at = now``); stored dates that no
    longer have a value (an input went stale, a revision removed it) are deleted. Returns
    (written, deleted).
    """
    stored = {day: value for day, value in _stored(session, signal, since, until)}
    fresh = {pd.Timestamp(ts).date(): float(v) for ts, v in values.items()}
    rows = [
        {"signal": signal, "date": day, "value": value, "computed_at": now}
        for day, value in fresh.items()
        if day not in stored or not _same(stored[day], value)
    ]
    gone = [day for day in stored if day not in fresh]
    upsert(session, SignalValue, rows, key=("signal", "date"))
    for chunk in range(0, len(gone), 500):
        session.execute(
            delete(SignalValue).where(
                SignalValue.signal == signal, SignalValue.date.in_(gone[chunk : chunk + 500])
            )
        )
    return len(rows), len(gone)


def _stored(
    session: Session, signal: str, since: date | None, until: date | None
) -> Sequence[Row[tuple[date, float]]]:
    query = select(SignalValue.date, SignalValue.value).where(SignalValue.signal == signal)
    if since is not None:
        query = query.where(SignalValue.date >= since)
    if until is not None:
        query = query.where(SignalValue.date <= until)
    return session.execute(query).all()


def _same(old: float, new: float) -> bool:
    # Rolling sums started at a different date differ in the last bits; that is no change.
    return math.isclose(old, new, rel_tol=1e-12, abs_tol=1e-12)


def load_series(
    session: Session, signals: Sequence[str], *, since: date | None, until: date
) -> dict[str, list[tuple[date, float]]]:
    """Stored values of ``signals`` in (``since``, ``until``], in date order (what rules judge)."""
    query = (
        select(SignalValue.signal, SignalValue.date, SignalValue.value)
        .where(SignalValue.signal.in_(signals), SignalValue.date <= until)
        .order_by(SignalValue.signal, SignalValue.date)
    )
    if since is not None:
        query = query.where(SignalValue.date > since)
    series: dict[str, list[tuple[date, float]]] = {name: [] for name in signals}
    for signal, day, value in session.execute(query):
        series[signal].append((day, value))
    return series


def store_series(
    session: Session, signal: str, values: Sequence[tuple[date, float]], now: datetime
) -> None:
    """Upsert values computed outside the signal engine (the stage) into ``signal_values``."""
    rows = [{"signal": signal, "date": d, "value": v, "computed_at": now} for d, v in values]
    upsert(session, SignalValue, rows, key=("signal", "date"))


def dates_with_values(
    session: Session, signals: Sequence[str], *, after: date | None, through: date
) -> list[date]:
    """The distinct dates in (``after``, ``through``] on which any of ``signals`` has a value."""
    query = select(SignalValue.date).where(
        SignalValue.signal.in_(signals), SignalValue.date <= through
    )
    if after is not None:
        query = query.where(SignalValue.date > after)
    return list(session.scalars(query.distinct().order_by(SignalValue.date)))
