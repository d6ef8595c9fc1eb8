"""Property tests: import order, duplicate imports and re-evaluation never change results, and
no value depends on an observation that became available after its date."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.bundled import snapshot_dir
from monitor.config import SignalConfig
from monitor.evaluation import evaluate
from monitor.ingest import fetch as ingest
from monitor.runtime import open_runtime
from monitor.signals.align import InputSeries
from monitor.signals.compute import compute_signal
from tests.signals.helpers import real_slice, stored_values

SYMBOLS = ["BTC-USD", "^NDX", "GLD", "WALCL", "WTREGEN", "RRPONTSYD"]
NOW = datetime(2025, 7, 1, tzinfo=UTC)
_SETTINGS = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=1e-12) for k in a)


def _files(folder: Path) -> list[Path]:
    return [real_slice(snapshot_dir(), folder, s, "2024-06-01", "2025-06-30") for s in SYMBOLS]


def _evaluate(db: Path, batches: list[list[Path]]) -> dict:
    runtime = open_runtime(None, f"sqlite:///{db}")
    try:
        for batch in batches:
            ingest.import_files(runtime.config, runtime.engine, batch)
            evaluate(runtime, now=NOW)
        return stored_values(runtime)
    finally:
        runtime.close()


@given(data=st.data())
@_SETTINGS
def test_import_order_duplicates_and_reevaluation_do_not_matter(
    tmp_path_factory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    files = _files(folder / "csv")
    baseline = _evaluate(folder / "baseline.db", [files])
    order = data.draw(st.permutations(files))
    repeats = data.draw(st.lists(st.sampled_from(files), max_size=4))
    split = data.draw(st.integers(1, len(files)))
    batches = [list(order[:split]), list(order[split:]) + repeats, repeats]
    assert _same(_evaluate(folder / "shuffled.db", [b for b in batches if b]), baseline)


_day = st.integers(0, 400)


@st.composite
def _input(draw: st.DrawFn, name: str) -> InputSeries:
    offsets = sorted(draw(st.sets(_day, min_size=2, max_size=60)))
    values = draw(st.lists(st.floats(1.0, 1000.0), min_size=len(offsets), max_size=len(offsets)))
    index = pd.DatetimeIndex([pd.Timestamp("2024-01-01") + timedelta(days=o) for o in offsets])
    return InputSeries(name, pd.Series(values, index=index), draw(st.sampled_from([5, 10, 120])))


SIGNALS = [
    SignalConfig(id="rr", kind="relative_return", inputs=["a", "b"], window=30),
    SignalConfig(id="rc", kind="ratio_change", inputs=["a", "b"], window=45),
    SignalConfig(id="dd", kind="drawdown", inputs=["a"]),
    SignalConfig(id="ddw", kind="drawdown", inputs=["a"], window=60),
    SignalConfig(id="z", kind="zscore", inputs=["a"], window=30),
    SignalConfig(id="ch", kind="change", inputs=["a"], window=20, mode="difference"),
]


@given(a=_input("a"), b=_input("b"), cutoff=_day, signal=st.sampled_from(SIGNALS))
@settings(max_examples=150, deadline=None)
def test_no_value_depends_on_a_later_observation(
    a: InputSeries, b: InputSeries, cutoff: int, signal: SignalConfig
) -> None:
    inputs = [a, b][: len(signal.inputs)]
    moment = pd.Timestamp("2024-01-01") + timedelta(days=cutoff)
    known = [InputSeries(s.name, s.values[s.values.index <= moment], s.limit) for s in inputs]
    if any(s.values.empty for s in known):
        return
    full = compute_signal(signal, inputs)
    then = compute_signal(signal, known)
    pd.testing.assert_series_equal(full[full.index <= moment], then, check_freq=False)
