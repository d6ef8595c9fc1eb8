"""Compute every configured signal and store its values, incrementally or in full.

Incremental: a signal is recomputed from the earliest of (a) its last stored date (new data
lands after it), (b) for each instrument input, the earliest available date whose observation
changed since the last evaluation (the pending changes ingest records: new rows, revisions,
history imported into the middle, a rescaled adjusted close), and (c) the date each upstream
signal was recomputed from. Only the inputs needed for that range are read (its lookback plus
the staleness limit), and the all-history drawdown gets its prior peak from one SQL aggregate,
so a daily run costs the same with 1 or 30 years of history.

A signal is recomputed over all history when it has nothing stored yet, when its definition's
fingerprint (:mod:`monitor.signals.fingerprints`) differs from the one its values were computed
under, when a signal it reads is, or with ``full=True``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from monitor.config import Config, SignalConfig
from monitor.signals import fingerprints, store
from monitor.signals.align import Dated, InputArrays
from monitor.signals.compute import compute_values, lookback_days
from monitor.signals.freshness import staleness_limits
from monitor.signals.units import formula_factors
from monitor.store import changes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignalReport:
    """What one evaluation did to one signal; ``since`` is None for a full recompute."""

    signal: str
    since: date | None
    values: int
    written: int
    deleted: int
    latest: date | None


def compute_signals(
    session: Session,
    config: Config,
    *,
    now: datetime,
    as_of: date | None = None,
    full: bool = False,
    whole: dict[str, Dated] | None = None,
) -> list[SignalReport]:
    """Recompute and store every signal in dependency order; data after ``as_of`` is ignored.

    ``whole``, if given, receives the values of each signal recomputed over all its history:
    what is now stored up to ``as_of``, so the rules can judge them without reading them back.

    The pending changes read are cleared, and the definitions recorded, only when no signal has
    values after ``as_of``: an evaluation of the past leaves what it did not recompute pending.
    Every instrument is read once, every signal's stored values too, and the changed values are
    written together (before a signal reading another one, so it reads them stored).
    """
    pending = changes.read(session, as_of)
    current, previous = fingerprints.of_config(config), fingerprints.stored(session)
    order = config.signal_order()
    latest = store.latest_dates(session, [s.id for s in order], as_of)
    starts: dict[str, date | None] = {}
    for signal in order:
        redefined = previous.get(signal.id) != current[signal.id]
        if redefined and signal.id in previous and not full:
            log.info("signal %s: definition changed, recomputing all history", signal.id)
        since = None
        if not (full or redefined):
            since = _incremental_start(signal, latest.get(signal.id), starts, pending)
        starts[signal.id] = since
    reads = _Reads(
        instruments=store.read_instruments(session, _instrument_windows(config, starts), as_of),
        stored=store.read_signals(session, starts, as_of),
        writes=store.ValueWrites(now),
        limits=staleness_limits(config),
        signal_ids={s.id for s in order},
    )
    reports = [
        _evaluate_one(session, config, signal, starts[signal.id], as_of, reads, whole)
        for signal in order
    ]
    reads.writes.flush(session)
    if as_of is None or not _values_after(session, config, as_of):
        changes.consume(session, pending)
        fingerprints.save(session, current, previous, now)
    return reports


@dataclass(frozen=True)
class _Reads:
    """What one evaluation read up front, and the writes it collects."""

    instruments: dict[str, Dated]  # from the earliest date any signal reads each
    stored: dict[str, Dated]  # each signal's stored values from its start
    writes: store.ValueWrites
    limits: dict[str, int]  # every input's staleness limit
    signal_ids: set[str]


def _incremental_start(
    signal: SignalConfig,
    latest: date | None,
    starts: dict[str, date | None],
    pending: changes.Pending,
) -> date | None:
    since = latest
    if since is None:
        return None
    for name in signal.inputs:
        if name in starts and starts[name] is None:
            return None
        upstream = starts[name] if name in starts else pending.since.get(name)
        if upstream is not None:
            since = min(since, upstream)
    return since


def _instrument_windows(config: Config, starts: dict[str, date | None]) -> dict[str, date | None]:
    """Per instrument input, the earliest date any signal reads it from (None: all history)."""
    signal_ids = {s.id for s in config.signals}
    limits = staleness_limits(config)
    windows: dict[str, date | None] = {}
    for signal in config.signal_order():
        since = starts[signal.id]
        for name in signal.inputs:
            if name in signal_ids:
                continue
            start = None if since is None else _read_start(signal, since, limits[name])
            earlier = windows.get(name, start)
            windows[name] = None if start is None or earlier is None else min(start, earlier)
    return windows


def _values_after(session: Session, config: Config, as_of: date) -> bool:
    """Whether any signal has values after ``as_of`` (one aggregate)."""
    latest = store.latest_dates(session, [s.id for s in config.signals], None)
    return any(day > as_of for day in latest.values())


def _evaluate_one(
    session: Session,
    config: Config,
    signal: SignalConfig,
    since: date | None,
    as_of: date | None,
    reads: _Reads,
    whole: dict[str, Dated] | None,
) -> SignalReport:
    if any(name in reads.signal_ids for name in signal.inputs):
        reads.writes.flush(session)  # its upstream signals' new values, stored before it reads
    inputs = [
        _read_input(session, config, signal, name, since, as_of, reads) for name in signal.inputs
    ]
    factors = formula_factors(config, signal) if signal.kind == "formula" else None
    peak = None
    if signal.kind == "drawdown" and signal.window is None and since is not None:
        peak = store.prior_max(
            session,
            signal.inputs[0],
            is_signal=signal.inputs[0] in reads.signal_ids,
            before=_read_start(signal, since, reads.limits[signal.inputs[0]]),
        )
    start = np.datetime64(since, "D") if since is not None else None
    values = compute_values(signal, inputs, factors=factors, start=start, prior_max=peak)
    written, deleted = reads.writes.add(signal.id, reads.stored[signal.id], values)
    if whole is not None and since is None:
        whole[signal.id] = values
    latest = values.days[-1].astype(object) if len(values.days) else None
    return SignalReport(signal.id, since, len(values.days), written, deleted, latest)


def _read_start(signal: SignalConfig, since: date, limit: int) -> date:
    # The lagged lookup at `since - window` may use an observation up to the limit older.
    return since - timedelta(days=lookback_days(signal) + limit)


def _read_input(
    session: Session,
    config: Config,
    signal: SignalConfig,
    name: str,
    since: date | None,
    as_of: date | None,
    reads: _Reads,
) -> InputArrays:
    limit = reads.limits[name]
    read_from = None if since is None else _read_start(signal, since, limit)
    if name in reads.signal_ids:
        values = store.read_signal(session, name, read_from, as_of)
    else:
        values = store.from_date(reads.instruments[name], read_from)
    return InputArrays(values, limit)
