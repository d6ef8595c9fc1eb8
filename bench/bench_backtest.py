"""Backtest speed: every default rule over the whole bundled history (1991-2025).

Reported in seconds and as a ratio to the baseline measured in the same run: reading the same
signal values from the database, the floor any backtest pays. A second line times the pure
engine alone (no database) on those values.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from monitor import evaluation
from monitor.bundled import snapshot_files
from monitor.ingest import fetch as ingest
from monitor.rules.backtest import backtest
from monitor.rules.engine import evaluate_rules
from monitor.runtime import open_runtime
from monitor.signals.store import load_series
from monitor.store.database import session_scope

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


def _best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        runtime = open_runtime(None, f"sqlite:///{Path(folder) / 'bench.db'}")
        config = runtime.config
        ingest.import_files(config, runtime.engine, snapshot_files())
        evaluation.evaluate(runtime, as_of=date(2025, 6, 30), now=NOW)
        signals = sorted({r.signal for r in config.rules} - {config.stage.id})

        def read() -> dict:
            with session_scope(runtime.engine) as session:
                return load_series(session, signals, since=None, until=date.max)

        def replay() -> list:
            with session_scope(runtime.engine) as session:
                return backtest(session, config)

        series = read()
        values = sum(len(v) for v in series.values())
        transitions = len(replay())
        baseline = _best_of(3, read)
        full = _best_of(3, replay)
        engine = _best_of(3, lambda: evaluate_rules(config, series, {}))
        runtime.close()
    print(f"{len(config.rules)} rules, {values} signal values, {transitions} transitions")
    print(f"baseline (read the values): {baseline:.3f} s")
    print(f"backtest:                   {full:.3f} s = {full / baseline:.1f}x baseline")
    print(f"engine alone:               {engine:.3f} s = {engine / baseline:.1f}x baseline")


if __name__ == "__main__":
    main()
