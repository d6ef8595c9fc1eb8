"""One recorded fetch of the instruments sharing a primary source, with their fallbacks.

Every fetch is a :class:`~monitor.store.models.FetchRun`. It re-reads the revision window so
late corrections land, keeps only closed bars, and records rows that fail validation with their
reason instead of storing them. A failed or empty fetch writes no observation and records the
failure. When the re-read window shows the stored closes of a symbol rescaled
(:mod:`monitor.ingest.rescale`), its whole history is downloaded again. What the primary lacks
is filled from the instruments' provider chains (:mod:`monitor.ingest.fallback`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.config import Config, Instrument
from monitor.errors import DataError, EmptyResponseError, SourceError
from monitor.ingest import fallback, provider_states, rescale
from monitor.ingest.retry import Pacing
from monitor.ingest.rows import last_dates, store_observations
from monitor.ingest.validate import Validated, validate
from monitor.sources.base import REREAD, Source
from monitor.store.database import session_scope
from monitor.store.models import FetchRun, RejectedRow

log = logging.getLogger("monitor.ingest.fetch")  # the name log filters already know


@dataclass
class FetchReport:
    """What one fetch of one source did."""

    source: str
    symbols: list[str]
    status: str  # ok | partial | failed
    rows: int = 0
    rejected: int = 0
    error: str | None = None
    run_id: int | None = None
    rescaled: list[str] = field(default_factory=list)  # history downloaded again whole


def combined(reports: Sequence[FetchReport]) -> FetchReport:
    """One report for the runs of one scheduled job: failed only if every run failed."""
    statuses = {r.status for r in reports}
    status = "ok" if statuses == {"ok"} else "failed" if statuses == {"failed"} else "partial"
    errors = [f"{r.source}: {r.error}" for r in reports if r.error]
    return FetchReport(
        "+".join(r.source for r in reports),
        [s for r in reports for s in r.symbols],
        status,
        rows=sum(r.rows for r in reports),
        rejected=sum(r.rejected for r in reports),
        error="; ".join(errors) or None,
        rescaled=[s for r in reports for s in r.rescaled],
    )


def pacing_of(
    config: Config,
    sleep: Callable[[float], None] | None = None,
    jitter: Callable[[], float] = random.random,
) -> Pacing:
    """The retry pacing of one fetch run under ``config``'s ``[fetch]``."""
    return Pacing(
        retries=config.fetch.retries,
        backoff=config.fetch.backoff,
        rate_limit_retries=config.fetch.rate_limit_retries,
        sleep=sleep or time.sleep,
        jitter=jitter,
    )


def fetch_group(
    config: Config,
    engine: Engine,
    sources: Mapping[str, Source],
    instruments: Sequence[Instrument],
    *,
    since: date | None = None,
    now: datetime | None = None,
    pacing: Pacing | None = None,
) -> FetchReport:
    """One recorded fetch of ``instruments`` (sharing a primary source), with their fallbacks.

    The run is ``ok`` when the primary served everything, ``partial`` when something is missing
    or a fallback filled in, ``failed`` when nothing was stored.
    """
    now = now or datetime.now(UTC)
    pacing = pacing or pacing_of(config)
    symbols = [i.symbol for i in instruments]
    name = instruments[0].source
    run_id = _start_run(engine, name, symbols, now)
    report = FetchReport(name, symbols, "failed", run_id=run_id)
    problems: list[str] = []
    try:
        start = since or _incremental_start(config, engine, instruments, now)
        try:
            newest, problems = _fetch_primary(
                engine, sources, instruments, start, now, pacing, report
            )
            served = True
        except (SourceError, DataError) as exc:  # a csv source's bad file is a DataError
            newest, problems, served = {}, [str(exc)], False
            for entry, failed in _by_primary(instruments, symbols).items():
                provider_states.failed(engine, failed, entry, now, str(exc))
        problems += _fall_back(
            config, engine, sources, instruments, newest, start, now, pacing, report
        )
        if served or report.rows:
            report.status = "partial" if problems else "ok"
        report.error = "; ".join(problems) or None
    finally:
        _finish_run(engine, report)
    log.info(
        "fetch %s: %s, %d rows, %d rejected%s",
        name,
        report.status,
        report.rows,
        report.rejected,
        f": {report.error}" if report.error else "",
    )
    return report


def _fetch_primary(
    engine: Engine,
    sources: Mapping[str, Source],
    instruments: Sequence[Instrument],
    start: date,
    now: datetime,
    pacing: Pacing,
    report: FetchReport,
) -> tuple[dict[str, date], list[str]]:
    """Fetch and store what the primary source serves: the newest date stored per symbol, and
    the problems that left the others stored (a symbol with no data, history not re-read)."""
    source = sources[instruments[0].source]
    frame = _download(source, instruments, start, pacing)
    validated = validate(frame, {i.symbol: i for i in instruments}, now)
    with session_scope(engine) as session:
        report.rescaled = rescale.rescaled(session, validated.rows)
        # A source that says a symbol's adjusted history changed (Tiingo: a split or dividend
        # in the window) is believed before the overlap shows it: its stored history is re-read.
        said = [s for s in frame.attrs.get(REREAD, []) if s not in report.rescaled]
        report.rescaled += rescale.with_history(session, said)
    problems = []
    if missing := frame.attrs.get("missing", []):
        problems.append(f"no data for {', '.join(missing)}")
        for entry, empty in _by_primary(instruments, missing).items():
            provider_states.failed(engine, empty, entry, now, f"{source.name}: no data")
    if report.rescaled:
        redo = [i for i in instruments if i.symbol in report.rescaled]
        try:
            validated = _redownload(engine, source, redo, start, validated, now, pacing)
        except SourceError as exc:
            # The others are stored; the rescaled ones wait whole for the next fetch (which
            # sees the rescale again), rather than mixing two scales in one history.
            validated = _without(validated, report.rescaled)
            problems.append(f"history of {', '.join(report.rescaled)} not re-read: {exc}")
    with session_scope(engine) as session:
        report.rows = store_observations(session, validated.rows, now=now)
        report.rejected = _record_rejected(session, report.run_id, validated.rejected)
    served = validated.rows.groupby("symbol")["date"].max()
    for entry, group in _by_primary(instruments, list(served.index)).items():
        provider_states.succeeded(engine, group, entry, now)
    return {str(s): day.date() for s, day in served.items()}, problems


def _by_primary(instruments: Sequence[Instrument], symbols: Sequence[str]) -> dict[str, list[str]]:
    """``symbols`` grouped by their instrument's primary provider entry."""
    groups: dict[str, list[str]] = {}
    for instrument in instruments:
        if instrument.symbol in symbols:
            groups.setdefault(instrument.sources[0], []).append(instrument.symbol)
    return groups


def _fall_back(
    config: Config,
    engine: Engine,
    sources: Mapping[str, Source],
    instruments: Sequence[Instrument],
    newest: Mapping[str, date],
    start: date,
    now: datetime,
    pacing: Pacing,
    report: FetchReport,
) -> list[str]:
    """Fill from their fallbacks what the primary lacked: a note per instrument filled, or left
    without data."""
    notes = []
    for instrument in instruments:
        if not fallback.needs_fallback(instrument, newest.get(instrument.symbol), now):
            continue
        filled = fallback.fill(
            engine,
            sources,
            instrument,
            start=start,
            now=now,
            tolerance=config.fetch.fallback_tolerance,
            pacing=pacing,
        )
        with session_scope(engine) as session:
            rows = store_observations(session, filled.rows.rows, now=now)
            report.rows += rows
            report.rejected += _record_rejected(session, report.run_id, filled.rows.rejected)
        # A fallback only looked at (the primary served, if not the latest bar) is no problem.
        if rows or instrument.symbol not in newest:
            notes.append(f"{instrument.symbol}: {filled.note}")
    return notes


def _download(
    source: Source, instruments: Sequence[Instrument], start: date, pacing: Pacing
) -> pd.DataFrame:
    """The primary's rows of ``instruments`` (each asked for its series, labelled its own)."""
    asked = {i.symbol: i.chain[0].asked(i.symbol) for i in instruments}
    if all(a == s for s, a in asked.items()):
        return pacing.call(source.name, lambda: source.fetch(instruments, start, None))
    requests = list(
        {
            asked[i.symbol]: i.model_copy(update={"symbol": asked[i.symbol]}) for i in instruments
        }.values()
    )
    frame = pacing.call(source.name, lambda: source.fetch(requests, start, None))
    return _relabelled(frame, asked)


def _relabelled(frame: pd.DataFrame, asked: Mapping[str, str]) -> pd.DataFrame:
    """``frame``'s rows of each asked series, once per instrument asking it, as its symbol."""
    parts = [frame[frame["symbol"] == series].assign(symbol=s) for s, series in asked.items()]
    result = pd.concat(parts, ignore_index=True)
    missing = set(frame.attrs.get("missing", []))
    if gone := [s for s, series in asked.items() if series in missing]:
        result.attrs["missing"] = gone
    return result


def _redownload(
    engine: Engine,
    source: Source,
    instruments: Sequence[Instrument],
    start: date,
    validated: Validated,
    now: datetime,
    pacing: Pacing,
) -> Validated:
    """``validated`` with the rows of ``instruments`` downloaded again from their oldest date.

    That is their oldest stored date, or ``start`` (the fetch's own) when it is earlier.
    """
    symbols = [i.symbol for i in instruments]
    with session_scope(engine) as session:
        start = min(start, rescale.first_date(session, symbols))
    log.info(
        "fetch %s: stored closes of %s were rescaled upstream (adjusted for a dividend or "
        "split); downloading them again from %s",
        source.name,
        ", ".join(symbols),
        start,
    )
    frame = _download(source, instruments, start, pacing)
    if missing := frame.attrs.get("missing"):
        raise EmptyResponseError(f"{source.name}: no history for {', '.join(missing)}")
    again = validate(frame, {i.symbol: i for i in instruments}, now)
    kept = _without(validated, symbols)
    rows = pd.concat([kept.rows, again.rows], ignore_index=True)
    return Validated(rows, kept.rejected + again.rejected)


def _without(validated: Validated, symbols: Sequence[str]) -> Validated:
    """``validated`` less the rows of ``symbols``."""
    rows = validated.rows[~validated.rows["symbol"].isin(list(symbols))]
    return Validated(rows, validated.rejected, validated.unfinished)


def _incremental_start(
    config: Config, engine: Engine, instruments: Sequence[Instrument], now: datetime
) -> date:
    """The revision window's start, or earlier to re-read what fallbacks served lately."""
    symbols = [i.symbol for i in instruments]
    with session_scope(engine) as session:
        latest = last_dates(session, symbols)
    backfill = date.fromisoformat(config.fetch.backfill_start)
    if len(latest) < len(symbols):
        return backfill
    start = min(latest.values()) - timedelta(days=config.fetch.revision_days)
    served = fallback.reread_start(engine, list(instruments), now)
    return min(start, served) if served else start


def _start_run(engine: Engine, source: str, symbols: Sequence[str], now: datetime) -> int:
    with session_scope(engine) as session:
        run = FetchRun(
            source=source,
            symbols=",".join(symbols),
            started_at=now,
            status="running",
            rows=0,
            rejected=0,
        )
        session.add(run)
        session.flush()
        return run.id


def _finish_run(engine: Engine, report: FetchReport) -> None:
    with session_scope(engine) as session:
        run = session.get(FetchRun, report.run_id)
        assert run is not None
        run.status, run.rows, run.rejected = report.status, report.rows, report.rejected
        run.error, run.finished_at = report.error, datetime.now(UTC)


def _record_rejected(
    session: Session, run_id: int | None, rejected: Sequence[tuple[str, str | None, str]]
) -> int:
    session.add_all(
        RejectedRow(fetch_run_id=run_id, symbol=symbol, date=day, reason=reason)
        for symbol, day, reason in rejected
    )
    return len(rejected)
