"""Fetching and importing observations into the store: the ingest API.

``fetch`` runs one recorded fetch per primary source (:mod:`monitor.ingest.group`: revision
window, closed bars, validation, rescales, provider-chain fallbacks); ``import_files`` loads CSV
files. Every write is an idempotent upsert that also records, in its transaction, from which
date each symbol changed, for the next evaluation (:mod:`monitor.ingest.rows`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from monitor.config import Config, Instrument
from monitor.errors import DataError, ParameterError
from monitor.ingest.group import FetchReport, fetch_group, pacing_of
from monitor.ingest.rows import last_dates, observation_rows, store_batches, store_observations
from monitor.ingest.validate import VALUE_COLUMNS, Validated, validate
from monitor.sources.base import Source
from monitor.sources.csvfile import CsvFile
from monitor.store.database import session_scope
from monitor.store.models import FetchRun

__all__ = [
    "FetchReport",
    "ImportReport",
    "fetch",
    "import_files",
    "last_dates",
    "observation_rows",
    "store_batches",
    "store_observations",
]


def fetch(
    config: Config,
    engine: Engine,
    sources: Mapping[str, Source],
    *,
    since: date | None = None,
    only: Sequence[str] = (),
    now: datetime | None = None,
    sleep: Callable[[float], None] | None = None,
    on_source: Callable[[str, list[str]], None] | None = None,
    jitter: Callable[[], float] = random.random,
) -> list[FetchReport]:
    """Fetch every configured instrument (or ``only`` these symbols), one run per primary source.

    A source that fails records a failed run and leaves its stored data untouched; the other
    sources still run. A provider rate-limited once is not asked again in this call.
    """
    now = now or datetime.now(UTC)
    instruments = [config.instrument(s) for s in only] if only else list(config.instruments)
    groups: dict[str, list[Instrument]] = {}
    for instrument in instruments:
        groups.setdefault(instrument.source, []).append(instrument)
    pacing = pacing_of(config, sleep, jitter)
    reports = []
    for source_name, members in groups.items():
        if on_source:
            on_source(source_name, [i.symbol for i in members])
        reports.append(
            fetch_group(config, engine, sources, members, since=since, now=now, pacing=pacing)
        )
    return reports


@dataclass
class ImportReport:
    """What importing one file did."""

    path: str
    symbol: str
    rows: int
    unfinished: int = 0  # bars not closed yet, skipped


def import_files(
    config: Config,
    engine: Engine,
    paths: Sequence[str | Path],
    *,
    symbol: str | None = None,
    now: datetime | None = None,
    run_source: str = "import",
) -> list[ImportReport]:
    """Load CSV files; every file is checked before any is written, so a bad one writes nothing.

    The symbol is ``symbol``, else the file name's stem; it must be a configured instrument so
    its calendar and release lag are known. Files are read in chunks, twice (checked, then
    written), so memory does not grow with their size. Each file is recorded as a fetch run of
    source ``run_source`` (``bundled`` for the history loaded on a first start).
    """
    now = now or datetime.now(UTC)
    if symbol and len(paths) > 1:
        raise ParameterError("symbol", "names one series: give one file with it")
    files = [(str(path), config.instrument(symbol or Path(path).stem)) for path in paths]
    limit = config.fetch.max_csv_bytes
    for path, instrument in files:
        for _ in _validated_chunks(path, instrument, now, limit):
            pass
    reports = []
    with session_scope(engine) as session:
        for path, instrument in files:
            report = ImportReport(path, instrument.symbol, 0)
            batches = _validated_chunks(path, instrument, now, limit)
            report.rows = store_batches(session, _counting(batches, report), now=now)
            reports.append(report)
        for report in reports:
            session.add(
                FetchRun(
                    source=run_source,
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


def _validated_chunks(
    path: str, instrument: Instrument, now: datetime, max_bytes: int | None
) -> Iterator[Validated]:
    """The file's rows, validated chunk by chunk; the first refused row raises, once all are read.

    A malformed file raises first (as the whole file is read before any row is judged).
    """
    refused = None
    with CsvFile(path, max_bytes) as file:
        for chunk in file.chunks():
            frame = chunk.copy()
            frame.insert(0, "symbol", instrument.symbol)
            for column in VALUE_COLUMNS:
                if column not in frame:
                    frame[column] = math.nan
            validated = validate(frame, {instrument.symbol: instrument}, now)
            refused = refused or (validated.rejected[0] if validated.rejected else None)
            if refused is None:
                yield validated
    if refused:
        _, day, reason = refused
        raise DataError(f"{path}: {day}: {reason}")


def _counting(batches: Iterable[Validated], report: ImportReport) -> Iterator[pd.DataFrame]:
    for validated in batches:
        report.unfinished += validated.unfinished
        yield validated.rows
