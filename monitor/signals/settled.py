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

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.availability import settled_through
from monitor.config import Config
from monitor.signals.freshness import instruments_of
from monitor.store.models import Observation


def judged_through(
    session: Session, config: Config, signals: Iterable[str], as_of: date
) -> dict[str, date]:
    """For each of ``signals``, the last date its rules may judge as of ``as_of``.

    Each instrument is read once, however many signals share it. An input with no data at all
    sets no bound: there is no bar whose successor to wait for, and the signal has no values
    without it.
    """
    settled: dict[str, date | None] = {}
    through: dict[str, date] = {}
    for signal in signals:
        through[signal] = as_of
        for symbol in instruments_of(config, signal):
            if symbol not in settled:
                settled[symbol] = _settled(session, config, symbol, as_of)
            day = settled[symbol]
            if day is not None:
                through[signal] = min(through[signal], day)
    return through


def _settled(session: Session, config: Config, symbol: str, as_of: date) -> date | None:
    latest = session.execute(  # the newest available: one step down the index
        select(Observation.date)
        .where(Observation.symbol == symbol, Observation.available_date <= as_of)
        .order_by(Observation.available_date.desc(), Observation.date.desc())
        .limit(1)
    ).scalar()
    return None if latest is None else settled_through(config.instrument(symbol), latest)
