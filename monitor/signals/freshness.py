"""How fresh each instrument is on a date: the basis of staleness and DataStale alerts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store.each import per_key
from monitor.store.models import Observation


@dataclass(frozen=True)
class Freshness:
    """An instrument's latest observation available on ``as_of`` and whether it is too old."""

    symbol: str
    source: str
    latest_available: date | None
    age_days: int | None
    limit_days: int
    stale: bool


def instrument_freshness(session: Session, config: Config, as_of: date) -> list[Freshness]:
    """Each configured instrument's freshness on ``as_of``, in config order.

    An instrument with no observation available by ``as_of`` is stale with no date. Stale means
    ``as_of - latest_available > limit`` (the instrument's ``staleness_limit``), the same test
    signals apply before using a value.
    """
    result = []
    latest = latest_available(session, [i.symbol for i in config.instruments], as_of)
    for instrument in config.instruments:
        day = latest.get(instrument.symbol)
        age = None if day is None else (as_of - day).days
        result.append(
            Freshness(
                symbol=instrument.symbol,
                source=instrument.source,
                latest_available=day,
                age_days=age,
                limit_days=instrument.staleness_limit,
                stale=age is None or age > instrument.staleness_limit,
            )
        )
    return result


def latest_available(session: Session, symbols: list[str], as_of: date) -> dict[str, date]:
    """The newest available date at or before ``as_of`` of each of ``symbols`` that has one.

    One statement, an index lookup per symbol inside the database.
    """

    def newest(symbol: ColumnElement[str]) -> list[ScalarSelect[Any]]:
        query = select(func.max(Observation.available_date)).where(
            Observation.symbol == symbol, Observation.available_date <= as_of
        )
        return [query.scalar_subquery()]

    return {symbol: day for symbol, day in per_key(session, symbols, newest) if day is not None}


def staleness_limit(config: Config, name: str) -> int:
    """An input's staleness limit in days.

    A signal read as an input gets the tightest limit of the instruments it derives from: its
    own values exist only on dates its inputs were fresh, so a gap longer than that means its
    inputs went stale.
    """
    signals = {s.id: s for s in config.signals}
    if name not in signals:
        return config.instrument(name).staleness_limit
    return min(staleness_limit(config, i) for i in signals[name].inputs)


def staleness_limits(config: Config) -> dict[str, int]:
    """:func:`staleness_limit` of every instrument and signal, computed once."""
    limits = {i.symbol: i.staleness_limit for i in config.instruments}
    for signal in config.signal_order():
        limits[signal.id] = min(limits[name] for name in signal.inputs)
    return limits


def instruments_feeding(config: Config, names: Iterable[str]) -> dict[str, set[str]]:
    """:func:`instruments_of` each of ``names`` (as sets), sharing the work between them."""
    signals = {s.id: s for s in config.signals}
    found: dict[str, set[str]] = {i.symbol: {i.symbol} for i in config.instruments}

    def of(name: str) -> set[str]:
        if name not in found:
            inputs = signals[name].inputs if name in signals else []
            found[name] = set().union(*map(of, inputs))
        return found[name]

    return {name: of(name) for name in names}


def instruments_of(config: Config, name: str) -> list[str]:
    """The instruments a signal (or instrument) ``name`` derives from, in config order."""
    signals = {s.id: s for s in config.signals}
    found: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in signals:
            pending.extend(signals[current].inputs)
        else:
            found.add(current)
    return [i.symbol for i in config.instruments if i.symbol in found]
