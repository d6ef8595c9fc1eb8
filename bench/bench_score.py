"""Backtest scoring speed: every default rule scored against ^NDX and KRE over the whole bundled
history, as a ratio to the backtest alone (the same replay, printing its transitions).

The two are run interleaved, so a busy machine slows both alike; the median of the runs is
reported with their min-max. Target: the score at most 2x the backtest.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from monitor.demo import build_demo
from monitor.queries.score import ScoreRequest, backtest_score
from monitor.rules.backtest import backtest
from monitor.store.database import session_scope

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
RUNS = 7


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _summary(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        runtime = build_demo(None, Path(folder) / "bench.db", now=NOW).runtime
        config = runtime.config

        def replay() -> list:
            with session_scope(runtime.engine) as session:
                return backtest(session, config)

        def scored() -> tuple:
            with session_scope(runtime.engine) as session:
                return backtest_score(session, config, ScoreRequest())

        rows, listed = scored()
        alone, scoring = [], []
        for _ in range(RUNS):
            alone.append(_timed(replay))
            scoring.append(_timed(scored))
        runtime.close()
    ratio = statistics.median(scoring) / statistics.median(alone)
    print(f"{len(config.rules)} rules x 2 targets: {len(rows)} rows, {len(listed)} episodes")
    print(f"backtest alone: {_summary(alone)}")
    print(f"backtest score: {_summary(scoring)} = {ratio:.2f}x the backtest (target <= 2x)")


if __name__ == "__main__":
    main()
