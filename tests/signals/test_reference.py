"""Every signal kind on the real shared data equals an independent pandas computation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.evaluation import evaluate
from monitor.ingest import fetch as ingest
from monitor.queries.signals import signal_history
from monitor.runtime import open_runtime
from monitor.store.database import session_scope
from tests.signals import reference as ref
from tests.signals.conftest import write_config


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, pd.Series]:
    """Every signal as stored after importing the shared data and one evaluation (SQLite)."""
    folder = tmp_path_factory.mktemp("reference")
    runtime = open_runtime(write_config(folder), f"sqlite:///{folder / 'db.sqlite'}")
    ingest.import_files(runtime.config, runtime.engine, sorted(data_dir.glob("*/*.csv")))
    evaluate(runtime)
    result = {}
    with session_scope(runtime.engine) as session:
        for signal in runtime.config.signals:
            rows = signal_history(session, signal.id)
            index = pd.DatetimeIndex([pd.Timestamp(r["date"]) for r in rows])
            result[signal.id] = pd.Series([r["value"] for r in rows], index=index, dtype=float)
    runtime.close()
    return result


def _csv(data_dir: Path, name: str) -> pd.DataFrame:
    fred = {"WALCL": ("week", 1), "WTREGEN": ("week", 1), "RRPONTSYD": ("day", 0)}
    fred["DRCCLACBS"] = ("quarter", 60)
    if name in fred:
        return ref.load_csv(data_dir / "fred" / f"{name}.csv", *fred[name])
    return ref.load_csv(data_dir / "yahoo" / f"{name}.csv")


def _liquidity(d: Path) -> pd.Series:
    frames = [_csv(d, "WALCL"), _csv(d, "WTREGEN"), _csv(d, "RRPONTSYD")]
    return ref.formula(frames, [10, 10, 5], [1e-3, -1e-3, -1.0])


EXPECTED: dict[str, Callable[[Path], pd.Series]] = {
    "btc_vs_ndx": lambda d: ref.relative_return(_csv(d, "BTC-USD"), _csv(d, "^NDX"), 5, 5, 90),
    "igv_vs_ndx": lambda d: ref.relative_return(_csv(d, "IGV"), _csv(d, "^NDX"), 5, 5, 90),
    "owl_vs_ndx": lambda d: ref.relative_return(_csv(d, "OWL"), _csv(d, "^NDX"), 5, 5, 90),
    "axp_vs_igv": lambda d: ref.relative_return(_csv(d, "AXP"), _csv(d, "IGV"), 5, 5, 90),
    "xlp_xly": lambda d: ref.ratio_change(_csv(d, "XLP"), _csv(d, "XLY"), 5, 5, 90),
    "btc_vs_gold": lambda d: ref.relative_return(_csv(d, "BTC-USD"), _csv(d, "GLD"), 5, 5, 90),
    "usd_liquidity": _liquidity,
    "usd_liquidity_13w": lambda d: ref.change(ref.from_series(_liquidity(d)), 5, 91),
    "card_delinquency": lambda d: ref.level(_csv(d, "DRCCLACBS"), 120),
    "regional_banks": lambda d: ref.relative_return(_csv(d, "KRE"), _csv(d, "XLF"), 5, 5, 20),
    "btc_drawdown": lambda d: ref.drawdown(_csv(d, "BTC-USD")),
    "igv_ndx_ratio": lambda d: ref.ratio(_csv(d, "IGV"), _csv(d, "^NDX"), 5, 5),
    "btc_z30": lambda d: ref.zscore(_csv(d, "BTC-USD"), 30),
    "ndx_drawdown_1y": lambda d: ref.drawdown(_csv(d, "^NDX"), 365),
    "walcl_4w_diff": lambda d: ref.change(_csv(d, "WALCL"), 10, 28, "difference"),
    "rrp_level": lambda d: ref.level(_csv(d, "RRPONTSYD"), 5),
    "card_1y": lambda d: ref.change(_csv(d, "DRCCLACBS"), 120, 365),
    "liquidity_drawdown": lambda d: ref.drawdown(ref.from_series(_liquidity(d))),
}


@pytest.mark.parametrize("signal", sorted(EXPECTED))
def test_signal_matches_independent_pandas(
    signal: str, stored: dict[str, pd.Series], data_dir: Path
) -> None:
    expected = EXPECTED[signal](data_dir)
    actual = stored[signal]
    assert len(expected) > 10
    assert list(actual.index) == list(expected.index)
    np.testing.assert_allclose(actual.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)


def test_catalogue_is_fully_checked(stored: dict[str, pd.Series]) -> None:
    # The shared data has no daily TGA: test_liquidity_daily checks usd_liquidity_daily.
    assert set(stored) == set(EXPECTED) | {"usd_liquidity_daily"}
    assert stored["usd_liquidity_daily"].empty


def test_usd_liquidity_is_in_billions(stored: dict[str, pd.Series], data_dir: Path) -> None:
    # 2025-06-26 (Thursday): the H.4.1 of Wednesday 2025-06-25 is out; RRP of that day.
    walcl, tga = 6_662_200.0, 364_375.0  # millions, from WALCL.csv / WTREGEN.csv 2025-06-25
    rrp = float(_csv(data_dir, "RRPONTSYD").set_index("avail")["value"]["2025-06-26"])
    expected = walcl / 1000 - tga / 1000 - rrp
    assert stored["usd_liquidity"]["2025-06-26"] == pytest.approx(expected, rel=1e-12)
    assert 5_000 < expected < 7_000  # billions of USD, not millions
