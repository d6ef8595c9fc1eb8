"""CLI start-up: ``firealarm --help``, ``--version`` and ``signals`` against ``import typer``.

Each command runs as its own process, as a user runs it, interleaved with the baseline
(``python -c "import typer"``, the least any typer CLI can cost) so a busy machine slows both
alike. ``signals`` reads a database loaded with the bundled real history and evaluated. Printed:
the median of 7 runs with min-max, and the ratio of the medians. Targets: ``--help`` and
``--version`` <= 1.5x the baseline; ``signals`` <= 0.5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from monitor.bundled import snapshot_files
from monitor.evaluation import evaluate
from monitor.ingest import fetch as ingest
from monitor.runtime import open_runtime

RUNS = 7
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
BASELINE = [sys.executable, "-c", "import typer"]
FIREALARM = [sys.executable, "-m", "monitor"]


def evaluated_database(folder: Path) -> str:
    """A SQLite URL of the bundled history, imported and evaluated."""
    url = f"sqlite:///{folder / 'bench.db'}"
    runtime = open_runtime(None, url)
    ingest.import_files(runtime.config, runtime.engine, snapshot_files())
    evaluate(runtime, as_of=date(2025, 6, 30), now=NOW)
    runtime.close()
    return url


def seconds(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one run of ``command`` (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIREALARM_")}
        env["FIREALARM_DATABASE_URL"] = evaluated_database(Path(folder))
        commands = {
            "import typer": BASELINE,
            "--help": [*FIREALARM, "--help"],
            "--version": [*FIREALARM, "--version"],
            "signals": [*FIREALARM, "signals"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            seconds(command, env)  # warm the file cache
        for _ in range(RUNS):
            for name, command in commands.items():
                times[name].append(seconds(command, env))
    base = statistics.median(times["import typer"])
    for name, runs in times.items():
        median = statistics.median(runs)
        ratio = "" if name == "import typer" else f"  = {median / base:.2f}x baseline"
        print(
            f"{name:>13}: median {median:.3f} s (min {min(runs):.3f}, max {max(runs):.3f})" + ratio
        )


if __name__ == "__main__":
    main()
