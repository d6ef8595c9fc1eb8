"""Reading signal inputs from the store and writing signal values back, changed rows only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, ScalarSelect, case, delete, func, select
from sqlalchemy.orm import Session

from monitor.signals.align import Dated
from monitor.store.bulk import upsert_frame
from monitor.store.dates import (
    AnySelect,
    as_stored,
    days_array,
    driver_rows,
    to_dates,
    to_datetime64,
)
from monitor.store.each import per_key
from monitor.store.models import Observation, SignalValue, table_of

NO_VALUES = Dated(np.array([], dtype="datetime64[D]"), np.array([], dtype=float))


def read_instruments(
    session: Session, windows: Mapping[str, date | None], until: date | None
) -> dict[str, Dated]:
    """Closes of each instrument by available date from its window's start (None: all), in one
    query; of two observations sharing an available date, the later one's."""
    symbols = list(windows)
    query = select(
        _numbered(Observation.symbol, symbols),
        as_stored(session, Observation.available_date),
        Observation.close,
    ).where(Observation.symbol.in_(symbols))
    query = _bounded(query, Observation.available_date, _earliest(windows.values()), until)
    query = query.order_by(Observation.symbol, Observation.available_date, Observation.date)
    found = _by_name(session, query, symbols)
    series = {}
    for symbol, since in windows.items():
        days, values = from_date(found.get(symbol, NO_VALUES), since)
        last = np.append(days[1:] != days[:-1], True)[: len(days)]  # each date's last row
        series[symbol] = Dated(days[last], values[last])
    return series


def read_signals(
    session: Session, windows: Mapping[str, date | None], until: date | None
) -> dict[str, Dated]:
    """Stored values of each signal by date from its window's start (None: all), in one query."""
    signals = list(windows)
    query = select(
        _numbered(SignalValue.signal, signals),
        as_stored(session, SignalValue.date),
        SignalValue.value,
    ).where(SignalValue.signal.in_(signals))
    query = _bounded(query, SignalValue.date, _earliest(windows.values()), until)
    found = _by_name(session, query.order_by(SignalValue.signal, SignalValue.date), signals)
    return {name: from_date(found.get(name, NO_VALUES), since) for name, since in windows.items()}


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


def _numbered(column: Any, names: Sequence[str]) -> ColumnElement[int]:
    """``column`` as the position of its value in ``names``: the database sends small integers,
    which Python does not allocate one by one as it does a name per row."""
    return case({name: number for number, name in enumerate(names)}, value=column)


def _by_name(session: Session, query: AnySelect, names: Sequence[str]) -> dict[str, Dated]:
    """A (name's position in ``names``, date, value) query's rows, ordered by name, as dated
    arrays per name."""
    rows = driver_rows(session, query)
    if not rows:
        return {}
    table = np.array(rows, dtype=object)  # one pass over the tuples, then by column
    numbers = table[:, 0].astype(np.int64)
    days = to_datetime64(table[:, 1])
    values = table[:, 2].astype(float)
    starts = np.flatnonzero(np.r_[True, numbers[1:] != numbers[:-1]])
    ends = np.r_[starts[1:], len(numbers)]
    return {
        names[numbers[a]]: Dated(days[a:b], values[a:b]) for a, b in zip(starts, ends, strict=True)
    }


def from_date(values: Dated, start: date | None) -> Dated:
    """``values`` from ``start`` on (all of them for None)."""
    if start is None:
        return values
    first = np.searchsorted(values.days, np.datetime64(start, "D"))
    return Dated(values.days[first:], values.values[first:])


def read_signal(session: Session, signal: str, since: date | None, until: date | None) -> Dated:
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
    days = values.index.to_numpy().astype("datetime64[D]")
    fresh = Dated(days, values.to_numpy(dtype=float))
    counts = writes.add(signal, read_signal(session, signal, since, until), fresh)
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
        self._rows: list[tuple[str, np.ndarray, np.ndarray]] = []
        self._gone: dict[str, list[date]] = {}

    def add(self, signal: str, stored: Dated, values: Dated) -> tuple[int, int]:
        """Make ``stored`` (a signal's values over a range) ``values`` at the next flush.

        Returns (written, deleted).
        """
        (old_days, old), (days, fresh) = stored, values
        changed = ~_same(old, old_days, fresh, days)
        if changed.any():
            self._rows.append((signal, days[changed], fresh[changed]))
        gone = old_days[~_within(old_days, days)].astype(object).tolist()
        if gone:
            self._gone[signal] = gone
        return int(changed.sum()), len(gone)

    def flush(self, session: Session) -> None:
        """Write everything added since the last flush."""
        if self._rows:
            names, days, values = zip(*self._rows, strict=True)
            rows = pd.DataFrame(
                {
                    "signal": np.repeat(np.array(names, dtype=object), [len(d) for d in days]),
                    "date": np.concatenate(days),
                    "value": np.concatenate(values),
                }
            )
            upsert_frame(
                session.connection(),
                table_of(SignalValue),
                rows,
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


def _within(days: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Per day of ``days``, whether it is one of ``among`` (sorted): ``np.isin`` by bisection."""
    if not len(among):
        return np.zeros(len(days), dtype=bool)
    found: np.ndarray = among[np.minimum(np.searchsorted(among, days), len(among) - 1)] == days
    return found


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
    parse = date.fromisoformat if isinstance(rows[0][1], str) else _as_is
    for name, group in groupby(rows, key=itemgetter(0)):  # ordered by signal
        series[name] = [(parse(day), value) for _, day, value in group]
    return series


def _as_is(day: date) -> date:
    return day


def store_series(
    session: Session, signal: str, values: Sequence[tuple[date, float]], now: datetime
) -> None:
    """Upsert values computed outside the signal engine (the stage) into ``signal_values``."""
    days, numbers = zip(*values, strict=True) if values else ((), ())
    rows = pd.DataFrame({"signal": signal, "date": days_array(days), "value": numbers})
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
    query = select(as_stored(session, SignalValue.date)).where(
        SignalValue.signal.in_(signals), SignalValue.date <= through
    )
    if after is not None:
        query = query.where(SignalValue.date > after)
    query = query.distinct().order_by(SignalValue.date)
    return to_dates([day for (day,) in driver_rows(session, query)])
