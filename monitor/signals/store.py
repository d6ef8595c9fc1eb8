"""Reading signal inputs from the store and writing signal values back, changed rows only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, ScalarSelect, delete, func, select
from sqlalchemy.orm import Session

from monitor.store.bulk import upsert_frame
from monitor.store.dates import AnySelect, as_stored, driver_rows, to_dates, to_datetime64
from monitor.store.each import per_key
from monitor.store.models import Observation, SignalValue, table_of


def read_instruments(
    session: Session, windows: Mapping[str, date | None], until: date | None
) -> dict[str, pd.Series]:
    """Closes of each instrument by available date from its window's start (None: all), in one
    query; of two observations sharing an available date, the later one's."""
    query = select(
        Observation.symbol, as_stored(session, Observation.available_date), Observation.close
    ).where(Observation.symbol.in_(list(windows)))
    query = _bounded(query, Observation.available_date, _earliest(windows.values()), until)
    query = query.order_by(Observation.symbol, Observation.available_date, Observation.date)
    found = _by_name(session, query)
    series = {}
    for symbol, since in windows.items():
        values = _since(found.get(symbol, _empty()), since)
        series[symbol] = values[~values.index.duplicated(keep="last")]
    return series


def read_signals(
    session: Session, windows: Mapping[str, date | None], until: date | None
) -> dict[str, pd.Series]:
    """Stored values of each signal by date from its window's start (None: all), in one query."""
    query = select(
        SignalValue.signal, as_stored(session, SignalValue.date), SignalValue.value
    ).where(SignalValue.signal.in_(list(windows)))
    query = _bounded(query, SignalValue.date, _earliest(windows.values()), until)
    found = _by_name(session, query.order_by(SignalValue.signal, SignalValue.date))
    return {name: _since(found.get(name, _empty()), since) for name, since in windows.items()}


def latest_dates(session: Session, signals: Sequence[str], until: date | None) -> dict[str, date]:
    """The newest stored date of each of ``signals`` that has one (at or before ``until``).

    One statement, an index lookup per signal inside the database.
    """

    def newest(signal: ColumnElement[str]) -> list[ScalarSelect[Any]]:
        query = select(func.max(SignalValue.date)).where(SignalValue.signal == signal)
        query = query if until is None else query.where(SignalValue.date <= until)
        return [query.scalar_subquery()]

    return {name: day for name, day in per_key(session, signals, newest) if day is not None}


def latest_date(session: Session, signal: str, until: date | None = None) -> date | None:
    """The newest stored date of ``signal`` (at or before ``until``)."""
    return latest_dates(session, [signal], until).get(signal)


def _earliest(starts: Iterable[date | None]) -> date | None:
    starts = list(starts)
    return None if not starts or None in starts else min(starts)  # type: ignore[type-var]


def _bounded(query: AnySelect, column: Any, since: date | None, until: date | None) -> AnySelect:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column <= until)
    return query


def _by_name(session: Session, query: AnySelect) -> dict[str, pd.Series]:
    """A (name, date, value) query's rows, ordered by name, as one series per name."""
    rows = driver_rows(session, query)
    if not rows:
        return {}
    table = np.array(rows, dtype=object)  # one pass over the tuples, then by column
    names = table[:, 0]
    index = pd.DatetimeIndex(to_datetime64(table[:, 1]).astype("datetime64[s]"))
    numbers = table[:, 2].astype(float)
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    ends = np.r_[starts[1:], len(names)]
    return {
        str(names[a]): pd.Series(numbers[a:b], index=index[a:b])
        for a, b in zip(starts, ends, strict=True)
    }


def _since(series: pd.Series, since: date | None) -> pd.Series:
    return series if since is None else series[series.index >= pd.Timestamp(since)]


def _empty() -> pd.Series:
    return pd.Series(np.array([], dtype=float), index=pd.DatetimeIndex([], dtype="datetime64[s]"))


def read_signal(session: Session, signal: str, since: date | None, until: date | None) -> pd.Series:
    """Stored values of ``signal`` by date."""
    return read_signals(session, {signal: since}, until)[signal]


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
    writes = ValueWrites(now)
    counts = writes.add(signal, read_signal(session, signal, since, until), values)
    writes.flush(session)
    return counts


class ValueWrites:
    """Changed values of many signals, compared on whole arrays and written together.

    :meth:`add` keeps what differs from the stored values; :meth:`flush` writes it all in one
    upsert (deleting dates that lost their value), so an evaluation's writes are a few
    statements however many signals it recomputed.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._rows: list[pd.DataFrame] = []
        self._gone: dict[str, list[date]] = {}

    def add(self, signal: str, stored: pd.Series, values: pd.Series) -> tuple[int, int]:
        """Make ``stored`` (a signal's values over a range) ``values`` at the next flush.

        Returns (written, deleted).
        """
        old_days = stored.index.to_numpy().astype("datetime64[D]")
        days = values.index.to_numpy().astype("datetime64[D]")
        fresh = values.to_numpy(dtype=float)
        changed = ~_same(stored.to_numpy(), old_days, fresh, days)
        rows = pd.DataFrame({"signal": signal, "date": days[changed], "value": fresh[changed]})
        gone = old_days[~np.isin(old_days, days)].astype(object).tolist()
        self._rows.append(rows)
        if gone:
            self._gone[signal] = gone
        return len(rows), len(gone)

    def flush(self, session: Session) -> None:
        """Write everything added since the last flush."""
        rows = [r for r in self._rows if len(r)]
        if rows:
            upsert_frame(
                session.connection(),
                table_of(SignalValue),
                pd.concat(rows, ignore_index=True),
                key=("signal", "date"),
                constants={"computed_at": self.now},
            )
        for signal, gone in self._gone.items():
            for chunk in range(0, len(gone), 500):
                session.execute(
                    delete(SignalValue).where(
                        SignalValue.signal == signal,
                        SignalValue.date.in_(gone[chunk : chunk + 500]),
                    )
                )
        self._rows, self._gone = [], {}


def _same(old: np.ndarray, old_days: np.ndarray, new: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Per new value, whether the same date is stored with the same value.

    Rolling sums started at a different date differ in the last bits; that is no change
    (``math.isclose`` with rel_tol = abs_tol = 1e-12, computed on the arrays).
    """
    if not len(old_days):
        return np.zeros(len(days), dtype=bool)
    at = np.minimum(np.searchsorted(old_days, days), len(old_days) - 1)
    before = old[at]
    tolerance = np.maximum(1e-12 * np.maximum(np.abs(before), np.abs(new)), 1e-12)
    same: np.ndarray = (old_days[at] == days) & (np.abs(before - new) <= tolerance)
    return same


def load_series(
    session: Session, signals: Sequence[str], *, since: date | None, until: date
) -> dict[str, list[tuple[date, float]]]:
    """Stored values of ``signals`` in (``since``, ``until``], in date order (what rules judge)."""
    query = (
        select(SignalValue.signal, as_stored(session, SignalValue.date), SignalValue.value)
        .where(SignalValue.signal.in_(signals), SignalValue.date <= until)
        .order_by(SignalValue.signal, SignalValue.date)
    )
    if since is not None:
        query = query.where(SignalValue.date > since)
    series: dict[str, list[tuple[date, float]]] = {name: [] for name in signals}
    rows = driver_rows(session, query)
    if not rows:
        return series
    table = np.array(rows, dtype=object)  # ordered by signal: each signal is one slice
    names = table[:, 0]
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(names)], strict=True):
        days = to_dates(table[start:end, 1].tolist())
        series[names[start]] = list(zip(days, table[start:end, 2].tolist(), strict=True))
    return series


def store_series(
    session: Session, signal: str, values: Sequence[tuple[date, float]], now: datetime
) -> None:
    """Upsert values computed outside the signal engine (the stage) into ``signal_values``."""
    days, numbers = zip(*values, strict=True) if values else ((), ())
    rows = pd.DataFrame(
        {"signal": signal, "date": np.array(days, dtype="datetime64[D]"), "value": numbers}
    )
    upsert_frame(
        session.connection(),
        table_of(SignalValue),
        rows,
        key=("signal", "date"),
        constants={"computed_at": now},
    )


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
