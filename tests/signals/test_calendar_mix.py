"""Closed bars across DST changes reach signals only once closed (real import path, both DBs)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.evaluation import evaluate
from monitor.ingest import fetch as ingest
from monitor.runtime import open_runtime
from tests.signals.conftest import write_config
from tests.signals.helpers import stored_values

RATIO = """
[[signals]]
id = "btc_ndx_ratio"
kind = "ratio"
inputs = ["BTC-USD", "^NDX"]
"""


def _csv(folder: Path, symbol: str, rows: dict[str, float]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{symbol}.csv"
    path.write_text("Date,Close\n" + "".join(f"{d},{v}\n" for d, v in rows.items()))
    return path


@pytest.mark.parametrize(
    ("day", "before_close", "after_close"),
    [
        # Monday after the spring change: 16:00 EDT is 20:00 UTC.
        (
            "2024-03-11",
            datetime(2024, 3, 11, 19, 55, tzinfo=UTC),
            datetime(2024, 3, 11, 20, 5, tzinfo=UTC),
        ),
        # Monday after the autumn change: 16:00 EST is 21:00 UTC.
        (
            "2024-11-04",
            datetime(2024, 11, 4, 20, 55, tzinfo=UTC),
            datetime(2024, 11, 4, 21, 5, tzinfo=UTC),
        ),
    ],
)
def test_dst_change_close_gates_the_signal(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    day: str,
    before_close: datetime,
    after_close: datetime,
) -> None:
    monkeypatch.delenv("FIREALARM_CONFIG", raising=False)
    runtime = open_runtime(write_config(tmp_path, RATIO), db_url)
    monday = date.fromisoformat(day)
    friday, sunday = monday - timedelta(days=3), monday - timedelta(days=1)
    btc = _csv(tmp_path / "d", "BTC-USD", {str(friday): 60.0, str(sunday): 66.0, day: 70.0})
    ndx = _csv(tmp_path / "d", "^NDX", {str(friday): 3.0, day: 6.0})
    try:
        ingest.import_files(runtime.config, runtime.engine, [btc, ndx], now=before_close)
        evaluate(runtime, now=before_close)
        early = {d: v for (s, d), v in stored_values(runtime).items() if s == "btc_ndx_ratio"}
        assert max(early) == sunday and early[sunday] == 22.0  # Monday's bar is still live

        ingest.import_files(runtime.config, runtime.engine, [btc, ndx], now=after_close)
        evaluate(runtime, now=after_close)
        late = {d: v for (s, d), v in stored_values(runtime).items() if s == "btc_ndx_ratio"}
        assert late[monday] == 11.0  # Sunday's Bitcoin (Monday's is open until 00:00 UTC)
    finally:
        runtime.close()
