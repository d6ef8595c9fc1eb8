"""Fetching and importing observations into the store.

Every fetch of a source is a recorded :class:`~monitor.store.models.FetchRun`. A fetch re-reads
the revision window so late corrections land, writes with idempotent upserts, keeps only closed
bars, and records rows that fail validation with their reason instead of storing them. A failed
or empty fetch writes no observation and records the failure. When the re-read window shows the
stored closes of a symbol rescaled (:mod:`monitor.ingest.rescale`), its whole history is downloaded
again. Every write also records, in its transaction, from which date each symbol changed, for
the next evaluation (:mod:`monitor.store.changes`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.availability import available_date, is_closed
from monitor.config import Config, Instrument
from monitor.errors import DataError, EmptyResponseError, ParameterError, SourceError
from monitor.ingest import rescale
from monitor.ingest.retry import with_retries
from monitor.sources.base import Source
from monitor.sources.csvfile import read_csv_file
from monitor.store import changes
from monitor.store.database import session_scope
from monitor.store.models import FetchRun, Observation, RejectedRow
from monitor.store.upsert import upsert

log = logging.getLogger(__name__)
_VALUE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")


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


@dataclass
class Validated:
    """Rows ready to store, and the rows refused with their reasons."""

    rows: list[dict[str, object]] = field(default_factory=list)
    rejected: list[tuple[str, str | None, str]] = field(default_factory=list)  # symbol, date, why
    unfinished: int = 0  # bars not closed yet: they come again once closed


def validate(frame: pd.DataFrame, instruments: dict[str, Instrument], now: datetime) -> Validated:
    """Split a normalised source frame into storable rows and rejected ones.

    Bars not closed at ``now`` are dropped and counted (they will come again once closed); rows
    with no value at all are absent observations; anything else malformed is rejected with a
    reason.
    """
    result = Validated()
    frame = frame[frame[list(_VALUE_COLUMNS)].notna().any(axis=1)]
    duplicated = frame.duplicated(subset=["symbol", "date"], keep=False)
    for record, is_duplicate in zip(frame.to_dict("records"), duplicated, strict=True):
        symbol, day = str(record["symbol"]), record["date"]
        instrument = instruments[symbol]
        reason = _problem(record, is_duplicate, positive=instrument.is_price)
        if reason:
            result.rejected.append((symbol, None if day is None else str(day), reason))
            continue
        if not is_closed(instrument.calendar, day, now):
            result.unfinished += 1
            continue
        result.rows.append(_row(record, instrument, day, now))
    return result


def _problem(record: dict[str, object], is_duplicate: bool, *, positive: bool) -> str | None:
    if not isinstance(record["date"], date):
        return f"unparseable date {record['date']!r}"
    if is_duplicate:
        return "duplicate date in one batch"
    for column in _VALUE_COLUMNS:
        value = record[column]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if column == "close":
                return "missing close"
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            return f"{column} is not a number: {value!r}"
        if positive and column != "volume" and value <= 0:
            return f"non-positive {column}: {value}"
        if column == "volume" and value < 0:
            return f"negative volume: {value}"
    return None


def _row(record: dict[str, object], instrument: Instrument, day: date, fetched_at: datetime):
    values = {c: _none_if_nan(record[c]) for c in _VALUE_COLUMNS}
    return {
        "symbol": instrument.symbol,
        "date": day,
        "available_date": available_date(instrument, day),
        **values,
        "source": instrument.source,
        "fetched_at": fetched_at,
    }


def _none_if_nan(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)  # type: ignore[arg-type]


def store_observations(
    session: Session, rows: Sequence[dict[str, object]], *, now: datetime | None = None
) -> int:
    """Upsert observation rows keyed by (symbol, date), recording what changed as pending.

    The pending changes (:mod:`monitor.store.changes`) tell the next evaluation which signals to
    recompute from which date, in the same transaction as the rows.
    """
    changed = changes.earliest_changes(session, rows)
    written = upsert(session, Observation, rows, key=("symbol", "date"))
    changes.record(session, changed, now or datetime.now(UTC))
    return written


def last_dates(session: Session, symbols: Iterable[str]) -> dict[str, date]:
    """The newest stored date of each symbol that has any."""
    query = (
        select(Observation.symbol, func.max(Observation.date))
        .where(Observation.symbol.in_(list(symbols)))
        .group_by(Observation.symbol)
    )
    return {symbol: day for symbol, day in session.execute(query)}


def fetch(
    config: Config,
    engine,
    sources: dict[str, Source],
    *,
    since: date | None = None,
    only: Sequence[str] = (),
    now: datetime | None = None,
    sleep: Callable[[float], None] | None = None,
    on_source: Callable[[str, list[str]], None] | None = None,
) -> list[FetchReport]:
    """Fetch every configured instrument (or ``only`` these symbols), one run per source.

    A source that fails records a failed run and leaves its stored data untouched; the other
    sources still run.
    """
    now = now or datetime.now(UTC)
    instruments = [config.instrument(s) for s in only] if only else list(config.instruments)
    groups: dict[str, list[Instrument]] = {}
    for instrument in instruments:
        groups.setdefault(instrument.source, []).append(instrument)
    reports = []
    for source_name, members in groups.items():
        if on_source:
            on_source(source_name, [i.symbol for i in members])
        reports.append(
            fetch_source(
                config, engine, sources[source_name], members, since=since, now=now, sleep=sleep
            )
        )
    return reports


def fetch_source(
    config: Config,
    engine,
    source: Source,
    instruments: Sequence[Instrument],
    *,
    since: date | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] | None = None,
) -> FetchReport:
    """One recorded fetch of ``instruments`` from ``source``."""
    now = now or datetime.now(UTC)
    symbols = [i.symbol for i in instruments]
    run_id = _start_run(engine, source.name, symbols, now)
    report = FetchReport(source.name, symbols, "failed", run_id=run_id)
    try:
        start = since or _incremental_start(config, engine, symbols)
        frame = _download(config, source, instruments, start, sleep)
        validated = validate(frame, {i.symbol: i for i in instruments}, now)
        with session_scope(engine) as session:
            report.rescaled = rescale.rescaled(session, validated.rows)
        problems = []
        if missing := frame.attrs.get("missing", []):
            problems.append(f"no data for {', '.join(missing)}")
        if report.rescaled:
            redo = [i for i in instruments if i.symbol in report.rescaled]
            try:
                validated = _redownload(config, engine, source, redo, start, validated, now, sleep)
            except SourceError as exc:
                # The others are stored; the rescaled ones wait whole for the next fetch (which
                # sees the rescale again), rather than mixing two scales in one history.
                validated = _without(validated, report.rescaled)
                problems.append(f"history of {', '.join(report.rescaled)} not re-read: {exc}")
        with session_scope(engine) as session:
            report.rows = store_observations(session, validated.rows, now=now)
            report.rejected = _record_rejected(session, run_id, validated.rejected)
        report.status = "partial" if problems else "ok"
        report.error = "; ".join(problems) or None
    except (SourceError, DataError) as exc:  # a csv source's bad file is a DataError
        report.error = str(exc)
    finally:
        _finish_run(engine, report)
    log.info(
        "fetch %s: %s, %d rows, %d rejected%s",
        source.name,
        report.status,
        report.rows,
        report.rejected,
        f": {report.error}" if report.error else "",
    )
    return report


def _download(
    config: Config,
    source: Source,
    instruments: Sequence[Instrument],
    start: date,
    sleep: Callable[[float], None] | None,
) -> pd.DataFrame:
    retry_options = {"sleep": sleep} if sleep else {}
    return with_retries(
        lambda: source.fetch(instruments, start, None),
        retries=config.fetch.retries,
        backoff=config.fetch.backoff,
        what=f"{source.name} fetch",
        **retry_options,
    )


def _redownload(
    config: Config,
    engine,
    source: Source,
    instruments: Sequence[Instrument],
    start: date,
    validated: Validated,
    now: datetime,
    sleep: Callable[[float], None] | None,
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
    frame = _download(config, source, instruments, start, sleep)
    if missing := frame.attrs.get("missing"):
        raise EmptyResponseError(f"{source.name}: no history for {', '.join(missing)}")
    again = validate(frame, {i.symbol: i for i in instruments}, now)
    kept = _without(validated, symbols)
    return Validated(kept.rows + again.rows, kept.rejected + again.rejected)


def _without(validated: Validated, symbols: Sequence[str]) -> Validated:
    """``validated`` less the rows of ``symbols``."""
    rows = [row for row in validated.rows if row["symbol"] not in symbols]
    return Validated(rows, validated.rejected, validated.unfinished)


def _incremental_start(config: Config, engine, symbols: Sequence[str]) -> date:
    with session_scope(engine) as session:
        latest = last_dates(session, symbols)
    backfill = date.fromisoformat(config.fetch.backfill_start)
    if len(latest) < len(symbols):
        return backfill
    return min(latest.values()) - timedelta(days=config.fetch.revision_days)


def _start_run(engine, source: str, symbols: Sequence[str], now: datetime) -> int:
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


def _finish_run(engine, report: FetchReport) -> None:
    with session_scope(engine) as session:
        run = session.get(FetchRun, report.run_id)
        assert run is not None
        run.status, run.rows, run.rejected = report.status, report.rows, report.rejected
        run.error, run.finished_at = report.error, datetime.now(UTC)


def _record_rejected(session: Session, run_id: int, rejected) -> int:
    session.add_all(
        RejectedRow(fetch_run_id=run_id, symbol=symbol, date=day, reason=reason)
        for symbol, day, reason in rejected
    )
    return len(rejected)


@dataclass
class ImportReport:
    """What importing one file did."""

    path: str
    symbol: str
    rows: int
    unfinished: int = 0  # bars not closed yet, skipped


def import_files(
    config: Config,
    engine,
    paths: Sequence[str | Path],
    *,
    symbol: str | None = None,
    now: datetime | None = None,
) -> list[ImportReport]:
    """Load CSV files; every file is checked before any is written, so a bad one writes nothing.

    The symbol is ``symbol``, else the file name's stem; it must be a configured instrument so
    its calendar and release lag are known.
    """
    now = now or datetime.now(UTC)
    if symbol and len(paths) > 1:
        raise ParameterError("symbol", "names one series: give one file with it")
    parsed = []
    for path in paths:
        series = read_csv_file(path, config.fetch.max_csv_bytes)
        name = symbol or Path(path).stem
        instrument = config.instrument(name)
        frame = series.frame.copy()
        frame.insert(0, "symbol", name)
        for column in _VALUE_COLUMNS:
            if column not in frame:
                frame[column] = math.nan
        validated = validate(frame, {name: instrument}, now)
        if validated.rejected:
            _, day, reason = validated.rejected[0]
            raise DataError(f"{path}: {day}: {reason}")
        parsed.append((str(path), name, validated))
    reports = []
    with session_scope(engine) as session:
        for path, name, valid in parsed:
            stored = store_observations(session, valid.rows, now=now)
            reports.append(ImportReport(path, name, stored, valid.unfinished))
        for report in reports:
            session.add(
                FetchRun(
                    source="import",
                    symbols=report.symbol,
                    started_at=now,
                    finished_at=datetime.now(UTC),
                    status="ok",
                    rows=report.rows,
                    rejected=0,
                    error=None,
                )
            )
    return reports
