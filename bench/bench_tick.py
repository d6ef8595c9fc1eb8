"""The daily tick at scale: one new day for ``BENCH_TICK_SIGNALS`` (500) synthetic signals.

Each signal is a 30-day ``change`` of its own instrument, watched by one rule; two years of
history are stored and evaluated once. Then, ``BENCH_REPEAT`` (3) times, one new bar per
instrument is stored and ``evaluate`` runs: the tick (target <= 0.5 s with 500 signals). The
same with a tenth of the signals shows how it scales, and the SQL statements of one tick are
counted (target: O(tables), not O(signals)).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import event

from monitor.evaluation import evaluate
from monitor.ingest.fetch import store_observations
from monitor.runtime import open_runtime
from monitor.store.database import session_scope

SIGNALS = int(os.environ.get("BENCH_TICK_SIGNALS", "500"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
START, END = date(2023, 7, 3), date(2025, 6, 30)
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


def write_config(folder: Path, signals: int) -> Path:
    """Instruments S0..Sn, a 30-day change of each, a rule on each."""
    parts = ["[stage]\nstages = []\nnames = []\n"]
    for n in range(signals):
        parts.append(f'[[instruments]]\nsymbol = "S{n}"\nsource = "yahoo"\n')
        parts.append(f'[[signals]]\nid = "s{n}"\nkind = "change"\ninputs = ["S{n}"]\nwindow = 30\n')
        parts.append(f'[[rules]]\nname = "r{n}"\nsignal = "s{n}"\nop = ">"\nthreshold = 5.0\n')
    path = folder / f"tick{signals}.toml"
    path.write_text("\n".join(parts))
    return path


def _rows(signals: int, days: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for n in range(signals):
        walk = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
        frames.append(
            pd.DataFrame(
                {
                    "symbol": f"S{n}",
                    "date": days,
                    "available_date": days,
                    "close": walk,
                    **{c: np.nan for c in ("open", "high", "low", "adj_close", "volume")},
                    "source": "yahoo",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def tick_seconds(folder: Path, signals: int) -> tuple[list[float], int]:
    """Seconds of each tick, and the SQL statements of the last."""
    runtime = open_runtime(write_config(folder, signals), f"sqlite:///{folder}/t{signals}.db")
    with session_scope(runtime.engine) as session:
        store_observations(session, _rows(signals, pd.bdate_range(START, END), 1), now=NOW)
    evaluate(runtime, now=NOW)
    statements = []
    event.listen(runtime.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    times = []
    for n in range(1, REPEAT + 1):
        day = pd.bdate_range(END + timedelta(days=1), periods=n)[-1:]
        with session_scope(runtime.engine) as session:
            store_observations(session, _rows(signals, day, 100 + n), now=NOW)
        statements.clear()
        start = time.perf_counter()
        evaluate(runtime, now=NOW + timedelta(days=n + 3))
        times.append(time.perf_counter() - start)
    runtime.close()
    return times, len(statements)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for signals in (SIGNALS // 10, SIGNALS):
            times, statements = tick_seconds(Path(tmp), signals)
            print(
                f"tick with {signals} signals: {statistics.median(times):.2f} s "
                f"(min {min(times):.2f}, max {max(times):.2f}; target <= 0.5 s at 500), "
                f"{statements} SQL statements ({statements / signals:.1f} per signal)"
            )


if __name__ == "__main__":
    main()
