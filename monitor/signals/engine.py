"""Compute every configured signal and store its values, incrementally or in full.

Incremental: a signal is recomputed from the earliest of (a) its last stored date (new data
lands after it), (b) for each instrument input, the earliest available date of an observation the
last fetch re-read and may have revised (its newest observation minus ``fetch.revision_days``),
and (c) the date each upstream signal was recomputed from. Only the inputs needed for that range
are read (its lookback plus the staleness limit), and the all-history drawdown gets its prior
peak from one SQL aggregate, so a daily run costs the same with 1 or 30 years of history.
A signal with nothing stored yet, or ``full=True``, is recomputed over all history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from monitor.calendars import available_date
from monitor.config import Config, SignalConfig
from monitor.signals import store
from monitor.signals.align import InputSeries
from monitor.signals.compute import compute_signal, lookback_days
from monitor.signals.units import formula_factors


@dataclass(frozen=True)
class SignalReport:
    """What one evaluation did to one signal; ``since`` is None for a full recompute."""

    signal: str
    since: date | None
    values: int
    written: int
    deleted: int
    latest: date | None


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


def compute_signals(
    session: Session,
    config: Config,
    *,
    now: datetime,
    as_of: date | None = None,
    full: bool = False,
) -> list[SignalReport]:
    """Recompute and store every signal in dependency order; data after ``as_of`` is ignored."""
    starts: dict[str, date | None] = {}
    reports = []
    for signal in config.signal_order():
        since = None if full else _incremental_start(session, config, signal, starts, as_of)
        starts[signal.id] = since
        reports.append(_evaluate_one(session, config, signal, since, as_of, now))
    return reports


def _incremental_start(
    session: Session,
    config: Config,
    signal: SignalConfig,
    starts: dict[str, date | None],
    as_of: date | None,
) -> date | None:
    since = store.latest_date(session, signal.id, as_of)
    if since is None:
        return None
    for name in signal.inputs:
        upstream = starts[name] if name in starts else _revision_start(session, config, name, as_of)
        if upstream is None:
            return None
        since = min(since, upstream)
    return since


def _revision_start(
    session: Session, config: Config, symbol: str, as_of: date | None
) -> date | None:
    """The earliest available date an observation re-read by the last fetch can have."""
    newest = store.latest_observation_date(session, symbol, as_of)
    if newest is None:
        return None
    instrument = config.instrument(symbol)
    return available_date(instrument, newest - timedelta(days=config.fetch.revision_days))


def _evaluate_one(
    session: Session,
    config: Config,
    signal: SignalConfig,
    since: date | None,
    as_of: date | None,
    now: datetime,
) -> SignalReport:
    inputs = [_read_input(session, config, signal, name, since, as_of) for name in signal.inputs]
    factors = formula_factors(config, signal) if signal.kind == "formula" else None
    peak = None
    if signal.kind == "drawdown" and signal.window is None and since is not None:
        peak = store.prior_max(
            session,
            signal.inputs[0],
            is_signal=signal.inputs[0] in {s.id for s in config.signals},
            before=_read_start(config, signal, signal.inputs[0], since),
        )
    start = pd.Timestamp(since) if since is not None else None
    values = compute_signal(signal, inputs, factors=factors, start=start, prior_max=peak)
    written, deleted = store.save(session, signal.id, values, since=since, until=as_of, now=now)
    latest = values.index[-1].date() if len(values) else None
    return SignalReport(signal.id, since, len(values), written, deleted, latest)


def _read_start(config: Config, signal: SignalConfig, name: str, since: date) -> date:
    # The lagged lookup at `since - window` may use an observation up to the limit older.
    return since - timedelta(days=lookback_days(signal) + staleness_limit(config, name))


def _read_input(
    session: Session,
    config: Config,
    signal: SignalConfig,
    name: str,
    since: date | None,
    as_of: date | None,
) -> InputSeries:
    read_from = None if since is None else _read_start(config, signal, name, since)
    if name in {s.id for s in config.signals}:
        values = store.read_signal(session, name, read_from, as_of)
    else:
        values = store.read_instrument(session, name, read_from, as_of)
    return InputSeries(name, values, staleness_limit(config, name))
