"""Signals end to end: evaluations through SQLite against pandas doing the same work on the file.

(1) ``evaluate --full`` on an evaluated database holding the default catalogue's inputs over 30
    years, against pandas reading ``observations`` from the same file and computing the same
    signals with a plain numpy ``searchsorted`` reference (target <= 1.5x).
(2) The first evaluation (signal values and rule events written) on a fresh copy, against pandas
    reading, computing and ``executemany``-inserting the values into ``signal_values`` of
    another copy (target <= 2x).
(3) One daily incremental ``evaluate`` on a database holding 30 years against one holding
    1 year (target <= 1.3x).
Interleaved, medians of ``BENCH_REPEAT`` (3) with min-max; the in-memory kernels are checked
equal to the reference first.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.availability import available_date
from monitor.config import Config, load_config
from monitor.evaluation import evaluate
from monitor.ingest.fetch import store_observations
from monitor.runtime import Runtime, open_runtime
from monitor.signals.align import InputSeries
from monitor.signals.compute import compute_signal
from monitor.signals.freshness import staleness_limit
from monitor.signals.units import formula_factors
from monitor.store.database import session_scope

END = date(2025, 6, 30)
NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def _days(config: Config, symbol: str, start: date, end: date) -> pd.DatetimeIndex:
    instrument = config.instrument(symbol)
    if instrument.period == "week":
        return pd.date_range(start, end, freq="W-WED")
    if instrument.period == "quarter":
        return pd.date_range(start, end, freq="QS")
    if instrument.calendar == "crypto":
        return pd.date_range(start, end, freq="D")
    return pd.bdate_range(start, end)


def synthetic_rows(config: Config, start: date, end: date, seed: int = 7) -> list[dict]:
    """Random-walk observations for every instrument, on its own calendar."""
    rng = np.random.default_rng(seed)
    rows = []
    for instrument in config.instruments:
        days = _days(config, instrument.symbol, start, end)
        level = 1_000.0 if instrument.unit != "millions_usd" else 5_000_000.0
        if instrument.unit == "percent":
            level = 3.0
        walk = level * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
        for day, value in zip(days.date, walk, strict=True):
            rows.append(_row(instrument, day, float(value)))
    return rows


def _row(instrument, day: date, value: float) -> dict:
    return {
        "symbol": instrument.symbol,
        "date": day,
        "available_date": available_date(instrument, day),
        "close": value,
        "open": None,
        "high": None,
        "low": None,
        "adj_close": None,
        "volume": None,
        "source": instrument.source,
        "fetched_at": NOW,
    }


def _inputs(config: Config, rows: list[dict]) -> dict[str, pd.Series]:
    frame = pd.DataFrame(rows)
    frame["available_date"] = pd.to_datetime(frame["available_date"])
    return {
        symbol: group.set_index("available_date")["close"].sort_index()
        for symbol, group in frame.groupby("symbol")
    }


def engine_compute(config: Config, series: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """The catalogue through the engine's alignment and kinds, in memory."""
    results: dict[str, pd.Series] = {}
    for signal in config.signal_order():
        inputs = [
            InputSeries(name, results.get(name, series.get(name)), staleness_limit(config, name))
            for name in signal.inputs
        ]
        factors = formula_factors(config, signal) if signal.kind == "formula" else None
        results[signal.id] = compute_signal(signal, inputs, factors=factors)
    return results


def _asof(series: pd.Series, dates: pd.DatetimeIndex, limit: int, lag: int = 0) -> np.ndarray:
    moments = (dates - pd.Timedelta(days=lag)).values
    available = series.index.values
    position = np.searchsorted(available, moments, side="right") - 1
    safe = np.maximum(position, 0)
    fresh = (position >= 0) & (moments - available[safe] <= np.timedelta64(limit, "D"))
    return np.where(fresh, series.to_numpy()[safe], np.nan)


def reference_compute(config: Config, series: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """The same values in plain pandas: merge_asof joins, cummax, straight formulas."""
    results: dict[str, pd.Series] = {}
    for signal in config.signal_order():
        frames = [results.get(n, series.get(n)) for n in signal.inputs]
        limits = [staleness_limit(config, n) for n in signal.inputs]
        first = max(f.index[0] for f in frames)
        dates = frames[0].index
        for frame in frames[1:]:
            dates = dates.union(frame.index)
        dates = dates[dates >= first]
        now = [_asof(f, dates, lim) for f, lim in zip(frames, limits, strict=True)]
        if signal.kind == "relative_return":
            past = [
                _asof(f, dates, lim, signal.window) for f, lim in zip(frames, limits, strict=True)
            ]
            values = ((now[0] / past[0] - 1) - (now[1] / past[1] - 1)) * 100
        elif signal.kind == "ratio_change":
            past = [
                _asof(f, dates, lim, signal.window) for f, lim in zip(frames, limits, strict=True)
            ]
            values = ((now[0] / now[1]) / (past[0] / past[1]) - 1) * 100
        elif signal.kind == "change":
            past = _asof(frames[0], dates, limits[0], signal.window)
            values = (now[0] / past - 1) * 100
        elif signal.kind == "formula":
            values = sum(f * v for f, v in zip(formula_factors(config, signal), now, strict=True))
        elif signal.kind == "drawdown":
            values = (frames[0] / frames[0].cummax() - 1).to_numpy() * 100
        else:  # level
            values = now[0]
        results[signal.id] = pd.Series(values, index=dates).dropna()
    return results


def _interleaved(ours: Callable[[], object], theirs: Callable[[], object]) -> list[tuple]:
    """(ours, theirs) seconds of ``REPEAT`` alternating runs."""
    runs = []
    for _ in range(REPEAT):
        times = []
        for work in (ours, theirs):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        runs.append(tuple(times))
    return runs


def _ratio(label: str, runs: list[tuple], target: str) -> None:
    ratios = [ours / theirs for ours, theirs in runs]
    print(
        f"{label}: firealarm {statistics.median(r[0] for r in runs) * 1e3:.0f} ms, baseline "
        f"{statistics.median(r[1] for r in runs) * 1e3:.0f} ms: {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target {target})"
    )


def pandas_read(path: Path) -> dict[str, pd.Series]:
    """Every instrument's closes by available date (the later observation of two), via pandas."""
    with sqlite3.connect(path) as connection:
        frame = pd.read_sql_query(
            "SELECT symbol, available_date, close FROM observations "
            "ORDER BY symbol, available_date, date",
            connection,
        )
    frame["available_date"] = pd.to_datetime(frame["available_date"], format="%Y-%m-%d")
    frame = frame.drop_duplicates(["symbol", "available_date"], keep="last")
    return {
        str(symbol): group.set_index("available_date")["close"]
        for symbol, group in frame.groupby("symbol")
    }


def pandas_first(config: Config, path: Path) -> None:
    """Read, compute, and insert every value into ``signal_values`` with one executemany."""
    results = reference_compute(config, pandas_read(path))
    computed = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = [
        (signal, day, value, computed)
        for signal, values in results.items()
        for day, value in zip(
            values.index.strftime("%Y-%m-%d"), values.to_numpy().tolist(), strict=True
        )
    ]
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO signal_values (signal, date, value, computed_at) VALUES (?, ?, ?, ?)",
            rows,
        )


def _database(folder: Path, config_rows: list[dict], name: str) -> tuple[Runtime, float]:
    """A SQLite database holding ``config_rows``, evaluated once; and that evaluation's time."""
    runtime = open_runtime(None, f"sqlite:///{folder / name}")
    with session_scope(runtime.engine) as session:
        store_observations(session, config_rows, now=NOW)
    start = time.perf_counter()
    evaluate(runtime, now=NOW)
    return runtime, time.perf_counter() - start


def _daily_costs(runtime: Runtime, days: int = 5) -> float:
    """Median time of an evaluate after one new day of observations, over ``days`` days."""
    times = []
    for offset in range(1, days + 1):
        day = END + timedelta(days=offset)
        rows = [_row(i, day, 1_000.0) for i in runtime.config.instruments if i.period == "day"]
        with session_scope(runtime.engine) as session:
            store_observations(session, rows)
        start = time.perf_counter()
        evaluate(runtime, now=NOW + timedelta(days=offset))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _end_to_end(config: Config, folder: Path, rows30: list[dict]) -> None:
    runtime, _ = _database(folder, rows30, "full.db")
    path = folder / "full.db"
    _ratio(
        "evaluate --full on an evaluated database vs pandas read + compute",
        _interleaved(
            lambda: evaluate(runtime, now=NOW, full=True),
            lambda: reference_compute(config, pandas_read(path)),
        ),
        "<= 1.5x",
    )
    runtime.close()
    blank = folder / "blank.db"
    template = open_runtime(None, f"sqlite:///{blank}")
    with session_scope(template.engine) as session:
        store_observations(session, rows30, now=NOW)
    template.close()
    copies = iter(range(2 * REPEAT))

    def first() -> None:
        copy = folder / f"first-{next(copies)}.db"
        shutil.copy(blank, copy)
        fresh = open_runtime(None, f"sqlite:///{copy}")
        evaluate(fresh, now=NOW)
        fresh.close()

    def baseline() -> None:
        copy = folder / f"first-{next(copies)}.db"
        shutil.copy(blank, copy)
        pandas_first(config, copy)

    _ratio(
        "first evaluation vs pandas read + compute + executemany",
        _interleaved(first, baseline),
        "<= 2x",
    )


def main() -> None:
    config = load_config(None, database_url="sqlite://")
    rows30 = synthetic_rows(config, END - timedelta(days=30 * 365), END)
    series = _inputs(config, rows30)
    ours, theirs = engine_compute(config, series), reference_compute(config, series)
    for signal, values in ours.items():
        np.testing.assert_allclose(values.to_numpy(), theirs[signal].to_numpy(), rtol=1e-9)
    _ratio(
        f"in-memory kernels, 30y x {len(config.signals)} signals, vs the numpy reference",
        _interleaved(
            lambda: engine_compute(config, series), lambda: reference_compute(config, series)
        ),
        "informational",
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _end_to_end(config, folder, rows30)
        long, _ = _database(folder, rows30, "30y.db")
        rows1 = synthetic_rows(config, END - timedelta(days=365), END)
        short, _ = _database(folder, rows1, "1y.db")
        cost30, cost1 = _daily_costs(long), _daily_costs(short)
        long.close()
        short.close()
    print(
        f"daily incremental evaluate: 30y {cost30 * 1e3:.1f} ms, 1y {cost1 * 1e3:.1f} ms, "
        f"ratio {cost30 / cost1:.2f}x (target <= 1.3x)"
    )


if __name__ == "__main__":
    main()
