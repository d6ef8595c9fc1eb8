"""Fixtures for signal tests: a runtime whose config adds a signal of every kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import default_config_text
from monitor.runtime import Runtime, open_runtime

# Appended to the default catalogue so that every kind is exercised on real data.
EXTRA_SIGNALS = """
[[signals]]
id = "igv_ndx_ratio"
kind = "ratio"
inputs = ["IGV", "^NDX"]

[[signals]]
id = "btc_z30"
kind = "zscore"
inputs = ["BTC-USD"]
window = 30

[[signals]]
id = "ndx_drawdown_1y"
kind = "drawdown"
inputs = ["^NDX"]
window = 365

[[signals]]
id = "walcl_4w_diff"
kind = "change"
inputs = ["WALCL"]
window = 28
mode = "difference"

[[signals]]
id = "rrp_level"
kind = "level"
inputs = ["RRPONTSYD"]

[[signals]]
id = "card_1y"
kind = "change"
inputs = ["DRCCLACBS"]
window = 365

[[signals]]
id = "liquidity_drawdown"
kind = "drawdown"
inputs = ["usd_liquidity"]
"""


def write_config(tmp_path: Path, extra: str = EXTRA_SIGNALS) -> Path:
    """The default config plus ``extra`` TOML, written to a file."""
    path = tmp_path / "firealarm.toml"
    path.write_text(default_config_text() + extra, encoding="utf-8")
    return path


@pytest.fixture
def every_kind(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """A migrated database on each backend with the default catalogue plus every kind."""
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    runtime = open_runtime(write_config(tmp_path), db_url)
    yield runtime
    runtime.close()
