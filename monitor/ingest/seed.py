"""First start: an empty database gets the bundled real history before anything is fetched.

So the daemon shows the essay's signals within seconds, online or not, and its fetches then land
on top of that history (a fetch re-reads from the newest stored date). Only files of configured
instruments are loaded; a configured instrument with no bundled file waits for its first fetch
(and is ``DataStale`` until then). Each file is a fetch run of source ``bundled``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, exists, select

from monitor.bundled import snapshot_files
from monitor.config import Config
from monitor.ingest import fetch as ingest
from monitor.store.database import session_scope
from monitor.store.models import Observation

BUNDLED_SOURCE = "bundled"


@dataclass(frozen=True)
class SeedReport:
    """What loading the bundled history did (nothing on a database that has observations)."""

    files: int = 0
    rows: int = 0


def bundled_files_for(config: Config, files: list[Path] | None = None) -> list[Path]:
    """The bundled files (default: all of them) named after a configured instrument."""
    symbols = {i.symbol for i in config.instruments if i.source != "csv"}
    return [f for f in (files if files is not None else snapshot_files()) if f.stem in symbols]


def is_empty(engine: Engine) -> bool:
    """Whether the database holds no observation at all."""
    with session_scope(engine) as session:
        return not session.scalar(select(exists().where(Observation.symbol.is_not(None))))


def load_bundled_if_empty(config: Config, engine: Engine, *, now: datetime) -> SeedReport:
    """Import the bundled history of the configured instruments into an empty database."""
    if not is_empty(engine):
        return SeedReport()
    files = bundled_files_for(config)
    if not files:
        return SeedReport()
    reports = ingest.import_files(config, engine, files, now=now, run_source=BUNDLED_SOURCE)
    return SeedReport(files=len(reports), rows=sum(r.rows for r in reports))
