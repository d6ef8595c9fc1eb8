"""Import speed and peak memory: ``firealarm import`` against a raw driver doing the same writes.

100 Yahoo-layout CSV files (``Date,Open,High,Low,Close,Adj Close,Volume``) of 10,000 business
days each, 1 M rows (``BENCH_INGEST_SYMBOLS`` / ``BENCH_INGEST_DAYS`` scale it). Each run is its
own subprocess on a fresh copy of one migrated database, so its peak RSS is its own:

- SQLite: ``import_files`` against plain ``sqlite3``: ``csv.reader`` over the same files, every
  row's tuple held, one ``executemany`` of ``INSERT ... ON CONFLICT DO UPDATE`` into the same
  ``observations`` table, WAL, one transaction (targets: >= 0.5x its rows/s, peak RSS <= 1.2x).
- PostgreSQL (when reachable): ``import_files`` against psycopg ``COPY`` of the same rows into
  the same table.
- One 200 MB CSV file imported alone: peak RSS (target < 300 MB, issue #15).

Runs are interleaved (baseline, firealarm, baseline, ...); medians of ``BENCH_REPEAT`` (3) with
min-max. Timing covers the work only (not interpreter start or imports); RSS is the process peak
(VmHWM: ``ru_maxrss`` would carry the forking parent's over ``exec``).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from bench.databases import postgres_database

SYMBOLS = int(os.environ.get("BENCH_INGEST_SYMBOLS", "100"))
DAYS = int(os.environ.get("BENCH_INGEST_DAYS", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
BIG_FILE_MB = int(os.environ.get("BENCH_INGEST_BIG_MB", "200"))
NOW = "2026-01-01T12:00:00+00:00"

_FIREALARM = """
import json, sys, time
from datetime import datetime
from monitor.ingest import fetch as ingest
from monitor.runtime import open_runtime
config, url, files = sys.argv[1], sys.argv[2], sys.argv[3:]
runtime = open_runtime(config, url)
start = time.perf_counter()
reports = ingest.import_files(runtime.config, runtime.engine, files,
                              now=datetime.fromisoformat("{now}"))
elapsed = time.perf_counter() - start
rows = sum(r.rows for r in reports)
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024
print(json.dumps({{"rows": rows, "seconds": elapsed, "peak_mb": peak}}))
"""

_RAW_SQLITE = """
import csv, json, sqlite3, sys, time
from datetime import date, datetime, timezone
url, files = sys.argv[2], sys.argv[3:]
start = time.perf_counter()
fetched = datetime.fromisoformat("{now}").astimezone(timezone.utc).strftime(
    "%Y-%m-%d %H:%M:%S.%f")
rows = []
for path in files:
    symbol = path.rsplit("/", 1)[1].removesuffix(".csv")
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for d, o, h, l, c, a, v in reader:
            rows.append((symbol, d, d, float(c), float(o), float(h), float(l), float(a), float(v),
                         "yahoo", fetched, "yahoo"))
connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
connection.execute("PRAGMA journal_mode=WAL")
connection.execute("BEGIN")
connection.executemany(
    "INSERT INTO observations (symbol, date, available_date, close, open, high, low, adj_close,"
    " volume, source, fetched_at, provider) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT"
    " (symbol, date) DO UPDATE SET available_date=excluded.available_date, close=excluded.close,"
    " open=excluded.open, high=excluded.high, low=excluded.low, adj_close=excluded.adj_close,"
    " volume=excluded.volume, source=excluded.source, fetched_at=excluded.fetched_at,"
    " provider=excluded.provider", rows)
connection.execute("COMMIT")
elapsed = time.perf_counter() - start
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024
print(json.dumps({{"rows": len(rows), "seconds": elapsed, "peak_mb": peak}}))
"""

_RAW_COPY = """
import csv, json, sys, time
from datetime import datetime
import psycopg
url, files = sys.argv[2].replace("postgresql+psycopg", "postgresql"), sys.argv[3:]
start = time.perf_counter()
fetched = datetime.fromisoformat("{now}")
rows = 0
with psycopg.connect(url) as connection, connection.cursor() as cursor:
    with cursor.copy("COPY observations (symbol, date, available_date, close, open, high, low,"
                     " adj_close, volume, source, fetched_at, provider) FROM STDIN") as copy:
        for path in files:
            symbol = path.rsplit("/", 1)[1].removesuffix(".csv")
            with open(path, newline="") as handle:
                reader = csv.reader(handle)
                next(reader)
                for d, o, h, l, c, a, v in reader:
                    copy.write_row((symbol, d, d, c, o, h, l, a, v, "yahoo", fetched, "yahoo"))
                    rows += 1
elapsed = time.perf_counter() - start
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024
print(json.dumps({{"rows": rows, "seconds": elapsed, "peak_mb": peak}}))
"""


def write_files(folder: Path, symbols: int, days: int, seed: int = 17) -> list[Path]:
    """``symbols`` Yahoo-layout CSV files of ``days`` business days each."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(end="2025-12-31", periods=days).strftime("%Y-%m-%d")
    paths = []
    for n in range(symbols):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
        frame = pd.DataFrame(
            {
                "Date": dates,
                "Open": close * 0.99,
                "High": close * 1.01,
                "Low": close * 0.98,
                "Close": close,
                "Adj Close": close * 0.97,
                "Volume": rng.integers(1_000, 1_000_000, days),
            }
        )
        path = folder / f"S{n:03d}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def write_config(folder: Path, symbols: list[str], *, max_csv_bytes: int | None = None) -> Path:
    """A config with one yahoo instrument per symbol (signals and rules left out)."""
    instruments = "".join(f'[[instruments]]\nsymbol = "{s}"\nsource = "yahoo"\n\n' for s in symbols)
    fetch = f"[fetch]\nmax_csv_bytes = {max_csv_bytes}\n\n" if max_csv_bytes else ""
    path = folder / "bench.toml"
    path.write_text(f"signals = []\nrules = []\n\n{fetch}{instruments}")
    return path


def _run(script: str, config: Path, url: str, files: list[Path], now: str = NOW) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    code = textwrap.dedent(script.format(now=now))
    out = subprocess.run(
        [sys.executable, "-c", code, str(config), url, *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sqlite_template(folder: Path, config: Path) -> Path:
    from monitor.runtime import open_runtime

    path = folder / "template.db"
    open_runtime(config, f"sqlite:///{path}").close()
    return path


def _fresh_sqlite(folder: Path, template: Path) -> str:
    path = folder / f"run-{uuid.uuid4().hex[:8]}.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _compare(label: str, baseline: list[dict], ours: list[dict], unit: str) -> None:
    rates = [b["seconds"] / o["seconds"] for b, o in zip(baseline, ours, strict=True)]
    memory = [o["peak_mb"] / b["peak_mb"] for b, o in zip(baseline, ours, strict=True)]
    rows = ours[0]["rows"]
    ours_rate = statistics.median(rows / o["seconds"] for o in ours)
    base_rate = statistics.median(b["rows"] / b["seconds"] for b in baseline)
    print(
        f"{label}: {rows:,} rows, firealarm {ours_rate / 1e3:.0f}k rows/s vs {unit} "
        f"{base_rate / 1e3:.0f}k rows/s: speed {statistics.median(rates):.2f}x "
        f"(min {min(rates):.2f}, max {max(rates):.2f}; target >= 0.5x)"
    )
    print(
        f"{label}: peak RSS firealarm {statistics.median(o['peak_mb'] for o in ours):.0f} MB vs "
        f"{unit} {statistics.median(b['peak_mb'] for b in baseline):.0f} MB: "
        f"{statistics.median(memory):.2f}x (min {min(memory):.2f}, max {max(memory):.2f}; "
        "target <= 1.2x)"
    )


def _sqlite(folder: Path, config: Path, files: list[Path]) -> None:
    template = _sqlite_template(folder, config)
    baseline, ours = [], []
    for _ in range(REPEAT):
        baseline.append(_run(_RAW_SQLITE, config, _fresh_sqlite(folder, template), files))
        ours.append(_run(_FIREALARM, config, _fresh_sqlite(folder, template), files))
    _compare("SQLite", baseline, ours, "raw sqlite3 executemany")


def _postgres(config: Path, files: list[Path]) -> None:
    baseline, ours = [], []
    for _ in range(REPEAT):
        for script, results in ((_RAW_COPY, baseline), (_FIREALARM, ours)):
            with postgres_database(config) as url:
                if url is None:
                    print("PostgreSQL: not reachable, skipped")
                    return
                results.append(_run(script, config, url, files))
    _compare("PostgreSQL", baseline, ours, "psycopg COPY")


def _big_file(folder: Path) -> None:
    """One file of about BIG_FILE_MB megabytes imported alone: its peak RSS.

    So many daily rows reach back before year 1, so its dates run from year 100 on and the
    import's clock is set after the last one.
    """
    rows = BIG_FILE_MB * 1024 * 1024 // 120  # a row is about 120 bytes in this layout
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, rows)))
    days = np.arange(np.datetime64("0100-01-01"), np.datetime64("0100-01-01") + rows)
    frame = pd.DataFrame(
        {
            "Date": np.datetime_as_string(days, unit="D"),
            "Open": close * 0.99,
            "High": close * 1.01,
            "Low": close * 0.98,
            "Close": close,
            "Adj Close": close * 0.97,
            "Volume": rng.integers(1_000, 1_000_000, rows),
        }
    )
    path = folder / "BIG.csv"
    frame.to_csv(path, index=False)
    del frame, close
    # Larger than the default limit on one file: the limit is the user's to raise, as here.
    config = write_config(folder, [path.stem], max_csv_bytes=2 * path.stat().st_size)
    template = _sqlite_template(folder, config)
    url = _fresh_sqlite(folder, template)
    result = _run(_FIREALARM, config, url, [path], now="9999-01-01T00:00:00+00:00")
    print(
        f"one {path.stat().st_size / 1e6:.0f} MB CSV ({result['rows']:,} rows): "
        f"{result['seconds']:.1f} s, peak RSS {result['peak_mb']:.0f} MB (target < 300 MB)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "data"
        data.mkdir()
        files = write_files(data, SYMBOLS, DAYS)
        config = write_config(folder, [p.stem for p in files])
        _sqlite(folder, config, files)
        _postgres(config, files)
        if BIG_FILE_MB:
            big = folder / "big"
            big.mkdir()
            _big_file(big)


if __name__ == "__main__":
    main()
