"""Idle memory (RSS) of the daemon, against bare Python processes measured in the same run.

The daemon runs the packaged default config with every instrument read from the bundled real
history (``source = "csv"``, no network): it loads ~20 years of data, evaluates, then idles.
Target: under 250 MB.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from monitor.bundled import snapshot_dir
from monitor.config import default_config_text

TARGET_MB = 250.0
IDLE_SECONDS = 5.0
_BLOCK = re.compile(r'symbol = "(?P<symbol>[^"]+)"\nsource = "(?P<source>yahoo|fred)"')


def offline_config(folder: Path) -> Path:
    """The default config with each instrument reading its bundled CSV file."""
    data = snapshot_dir()

    def to_csv(match: re.Match[str]) -> str:
        path = data / match["source"] / f"{match['symbol']}.csv"
        return f'symbol = "{match["symbol"]}"\nsource = "csv"\npath = "{path}"'

    text = _BLOCK.sub(to_csv, default_config_text())
    text = re.sub(r"(?m)^port = 8787.*$", "port = 0", text)  # a free port
    path = folder / "firealarm.toml"
    path.write_text(text)
    return path


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid``, in MB."""
    return psutil.Process(pid).memory_info().rss / 1e6


def python_rss(code: str) -> float:
    """RSS of a Python process that ran ``code`` and then waits."""
    proc = subprocess.Popen(
        [sys.executable, "-c", f"{code}\nimport sys; print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.readline()
    try:
        return rss_mb(proc.pid)
    finally:
        proc.stdin.close()
        proc.wait()


def daemon_rss(folder: Path) -> tuple[float, float]:
    """(RSS after the first fetch and evaluation, then idle; peak RSS seen), in MB."""
    db = f"sqlite:///{folder / 'bench.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREALARM_")}
    command = [sys.executable, "-m", "monitor", "--config", str(offline_config(folder)), "--db", db]
    proc = subprocess.Popen(
        [*command, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    peak, busy = 0.0, True
    try:
        for line in proc.stderr:
            peak = max(peak, rss_mb(proc.pid))
            if '"evaluate"' in line and json.loads(line).get("event") == "job.end":
                break
        deadline = time.monotonic() + IDLE_SECONDS
        while busy:
            peak = max(peak, rss_mb(proc.pid))
            time.sleep(0.2)
            busy = time.monotonic() < deadline
        idle = rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    return idle, max(peak, idle)


def main() -> None:
    bare = python_rss("pass")
    package = python_rss("import monitor.cli")
    with tempfile.TemporaryDirectory() as folder:
        idle, peak = daemon_rss(Path(folder))
    print(f"bare python:              {bare:7.1f} MB  (baseline)")
    print(f"python + monitor.cli:     {package:7.1f} MB  ({package / bare:.1f}x baseline)")
    print(f"daemon idle after a run:  {idle:7.1f} MB  ({idle / bare:.1f}x baseline)")
    print(f"daemon peak:              {peak:7.1f} MB  ({peak / bare:.1f}x baseline)")
    verdict = "under" if idle < TARGET_MB else "OVER"
    print(f"target: idle RSS under {TARGET_MB:.0f} MB -> {verdict}")


if __name__ == "__main__":
    main()
