"""The offline demo: the bundled real history in a fresh database, evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor import ingest
from monitor.pipeline import evaluate
from monitor.runtime import Runtime, open_runtime
from monitor.snapshot import snapshot_files

DEMO_DATABASE = Path("firealarm-demo.db")


@dataclass
class Demo:
    """The demo's database and what loading it did."""

    runtime: Runtime
    observations: int
    signal_values: int


def fresh_database(path: Path) -> str:
    """The URL of an empty database at ``path``, removing an earlier demo database there."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def build_demo(config_path: Path | None, path: Path, *, now: datetime) -> Demo:
    """Import the snapshot into a fresh database at ``path`` and evaluate it."""
    runtime = open_runtime(config_path, fresh_database(path))
    reports = ingest.import_files(runtime.config, runtime.engine, snapshot_files())
    evaluation = evaluate(runtime, now=now, full=True)
    return Demo(
        runtime=runtime,
        observations=sum(r.rows for r in reports),
        signal_values=sum(s.written for s in evaluation.signals),
    )
