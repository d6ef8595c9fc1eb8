"""Backtest memory at scale: 500 rules over 20 years of daily values (3.65 M values).

Each rule watches a signal of its own (the 30-day change of a random walk, one value a day);
three of them make a stage and one more rule reads the stage. The values are written straight
into ``signal_values``, which is all a backtest reads. Then ``BENCH_REPEAT`` (3) times in turn,
three processes each print their peak RSS (``ru_maxrss``) and time: the backtest
(:func:`monitor.rules.backtest.backtest`, what ``firealarm backtest`` runs), the whole replay held
at once (:func:`monitor.rules.backtest.replay`: every series and every decision in memory, as
the backtest did before it read one signal at a time), and a baseline process that imports the
same code and opens the same database without reading. Target: the backtest under 400 MB.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench.databases import postgres_database
from monitor.rules.backtest import backtest, replay
from monitor.runtime import open_runtime
from monitor.store.bulk import upsert_frame
from monitor.store.database import session_scope
from monitor.store.models import SignalValue, table_of

RULES = int(os.environ.get("BENCH_BACKTEST_RULES", "500"))
YEARS = 20
ROUNDS = int(os.environ.get("BENCH_REPEAT", "3"))
TARGET_MB = 400
KINDS = ("baseline", "backtest", "replay")
FIRST = date(2005, 7, 1)
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def write_config(folder: Path) -> Path:
    """Instruments S0..Sn, a 30-day change of each, a rule on each, a stage and its rule."""
    parts = [
        '[stage]\nstages = [["r0", "r1"], ["r2"]]\nnames = ["one", "two"]\n',
        '[[rules]]\nname = "stage"\nsignal = "fire_alarm_stage"\nop = ">="\nthreshold = 2.0\n',
    ]
    for n in range(RULES):
        parts.append(f'[[instruments]]\nsymbol = "S{n}"\nsource = "yahoo"\n')
        parts.append(f'[[signals]]\nid = "s{n}"\nkind = "change"\ninputs = ["S{n}"]\nwindow = 30\n')
        parts.append(
            f'[[rules]]\nname = "r{n}"\nsignal = "s{n}"\nop = ">"\nthreshold = 25.0\n'
            "clear_threshold = 15.0\nfor = 3\n"
        )
    path = folder / "backtest.toml"
    path.write_text("\n".join(parts))
    return path


def fill(config: Path, url: str) -> int:
    """Write ``YEARS`` of daily values of every signal; the number written."""
    runtime = open_runtime(config, url)
    days = np.arange(np.datetime64(FIRST), np.datetime64(FIRST + timedelta(days=365 * YEARS)))
    rng = np.random.default_rng(17)
    written = 0
    with session_scope(runtime.engine) as session:
        for n in range(RULES):
            walk = np.exp(np.cumsum(rng.normal(0, 0.02, len(days) + 30)))
            change = (walk[30:] / walk[:-30] - 1) * 100
            frame = pd.DataFrame({"signal": f"s{n}", "date": days, "value": change})
            written += upsert_frame(
                session.connection(),
                table_of(SignalValue),
                frame,
                key=("signal", "date"),
                constants={"computed_at": NOW},
            )
    runtime.close()
    return written


def measure(kind: str, config: str, url: str) -> None:
    """In a process of its own: run ``kind`` and print its peak RSS (MB), seconds, transitions."""
    runtime = open_runtime(config, url, migrate=False)
    start = time.perf_counter()
    transitions = 0
    with session_scope(runtime.engine) as session:
        if kind == "backtest":
            transitions = len(backtest(session, runtime.config))
        elif kind == "replay":
            outcomes = replay(session, runtime.config).outcomes
            transitions = sum(1 for o in outcomes for d in o.decisions if d.event)
    seconds = time.perf_counter() - start
    runtime.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"rss_mb": peak, "seconds": seconds, "transitions": transitions}))


def _in_subprocess(kind: str, config: Path, url: str) -> dict[str, float]:
    call = f"measure({kind!r}, {str(config)!r}, {url!r})"
    code = f"from bench.bench_backtest_memory import measure; {call}"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _spread(values: list[float], digits: int = 0) -> str:
    middle, low, high = statistics.median(values), min(values), max(values)
    return f"{middle:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def _run(database: str, config: Path, url: str) -> None:
    values = fill(config, url)
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    load = os.getloadavg()[0]
    for _ in range(ROUNDS):
        for kind in KINDS:
            runs[kind].append(_in_subprocess(kind, config, url))
    print(
        f"{database}: {RULES + 1} rules over {values} values, {ROUNDS} rounds interleaved,"
        f" median (min-max); load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    for kind in KINDS:
        rss = [r["rss_mb"] for r in runs[kind]]
        line = f"  {kind:9} peak RSS {_spread(rss):>16} MB"
        if kind != "baseline":
            seconds = [r["seconds"] for r in runs[kind]]
            line += (
                f"  {_spread(seconds, 1):>17} s  {int(runs[kind][0]['transitions'])} transitions"
            )
        if kind == "backtest":
            verdict = "met" if statistics.median(rss) < TARGET_MB else "NOT met"
            line += f"; < {TARGET_MB} MB {verdict}"
        print(line, flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder))
        _run("SQLite", config, f"sqlite:///{Path(folder) / 'backtest.db'}")
        with postgres_database(config) as url:
            if url is None:
                print("PostgreSQL: not reachable, skipped")
                return
            _run("PostgreSQL", config, url)


if __name__ == "__main__":
    main()
