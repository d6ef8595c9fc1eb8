"""The offline demo: the bundled real history in a fresh database, evaluated and backtested."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from monitor.bundled import snapshot_files
from monitor.evaluation import evaluate
from monitor.ingest import fetch as ingest
from monitor.rules.backtest import backtest
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope

DEMO_DATABASE = Path("firealarm-demo.db")


@dataclass
class Demo:
    """The demo's database and what loading it did."""

    runtime: Runtime
    observations: int
    signal_values: int
    transitions: list[dict[str, Any]]
    as_of: date


def fresh_database(path: Path) -> str:
    """The URL of an empty database at ``path``, removing an earlier demo database there."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def build_demo(config_path: Path | None, path: Path, *, now: datetime) -> Demo:
    """Import the snapshot into a fresh database at ``path``, evaluate it as of its last date and
    backtest the rules.

    The evaluation stores signals, the stage and alert transitions (queuing deliveries to any
    configured channel; the demo sends nothing). The backtest replays the rules over the whole
    history without storing anything.
    """
    runtime = open_runtime(config_path, fresh_database(path))
    reports = ingest.import_files(runtime.config, runtime.engine, snapshot_files())
    with session_scope(runtime.engine) as session:
        symbols = [i.symbol for i in runtime.config.instruments]
        as_of = max(ingest.last_dates(session, symbols).values())
    # As of the snapshot's last date: evaluated today, every input would be stale by months.
    evaluation = evaluate(runtime, as_of=as_of, now=now, full=True)
    with session_scope(runtime.engine) as session:
        transitions = backtest(session, runtime.config)
    return Demo(
        runtime=runtime,
        observations=sum(r.rows for r in reports),
        signal_values=sum(s.written for s in evaluation.signals),
        transitions=transitions,
        as_of=as_of,
    )
