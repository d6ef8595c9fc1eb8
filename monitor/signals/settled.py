"""Which signal dates are final enough for rules to judge.

A rule judges each date once, so it must not judge a date one of the signal's inputs can still
deliver a bar for: in the daemon the US equities close (and are evaluated) hours before that
day's Bitcoin bar closes at 00:00 UTC, and a rule judging ``btc_vs_ndx`` then would use the
previous day's Bitcoin price and never look again. So a signal's values are judged only through
the date its least advanced input is settled through (see
:func:`monitor.availability.settled_through`); later dates wait for the next evaluation. A backtest,
which sees every bar, then makes the same decisions as the live run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.orm import Session

from monitor.availability import settled_through
from monitor.config import Config
from monitor.signals.freshness import instruments_feeding
from monitor.store.each import per_key
from monitor.store.models import Observation


def judged_through(
    session: Session, config: Config, signals: Iterable[str], as_of: date
) -> dict[str, date]:
    """For each of ``signals``, the last date its rules may judge as of ``as_of``.

    One query for all instruments, however many signals share them. An input with no data at all
    sets no bound: there is no bar whose successor to wait for, and the signal has no values
    without it.
    """
    signals = list(signals)
    feeding = instruments_feeding(config, signals)
    settled = _settled(session, config, sorted(set().union(*feeding.values())), as_of)
    return {
        signal: min([as_of, *(settled[s] for s in feeding[signal] if s in settled)])
        for signal in signals
    }


def _settled(session: Session, config: Config, symbols: list[str], as_of: date) -> dict[str, date]:
    """Per symbol with data by ``as_of``: through when its newest available bar settles it."""

    def newest(symbol: ColumnElement[str]) -> list[ScalarSelect[Any]]:
        query = (  # the newest available observation: one index step
            select(Observation.date)
            .where(Observation.symbol == symbol, Observation.available_date <= as_of)
            .order_by(Observation.available_date.desc(), Observation.date.desc())
            .limit(1)
        )
        return [query.scalar_subquery()]

    instruments = {i.symbol: i for i in config.instruments}
    return {
        symbol: settled_through(instruments[symbol], latest)
        for symbol, latest in per_key(session, symbols, newest)
        if latest is not None
    }
