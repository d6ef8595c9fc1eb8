"""`firealarm demo` (offline, fresh database, real history) and `firealarm chart`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from matplotlib.image import imread

from monitor.bundled import snapshot_files
from monitor.cli import run
from monitor.config import load_config
from monitor.queries.signals import signal_ids
from monitor.signals.freshness import instruments_of


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("FIREALARM_CONFIG", "FIREALARM_DATABASE_URL", "FIREALARM_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_demo_loads_the_real_history_into_a_fresh_database(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = sqlite3.connect(demo_dir / "firealarm-demo.db")
    stale.execute("CREATE TABLE leftover (x INTEGER)")
    stale.close()

    assert run(["demo", "--no-serve"]) == 0

    captured = capsys.readouterr()
    assert "btc_vs_ndx" in captured.out
    assert "observations imported" in captured.err
    db = sqlite3.connect(demo_dir / "firealarm-demo.db")
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    counts = dict(db.execute("SELECT signal, COUNT(*) FROM signal_values GROUP BY signal"))
    btc_first, btc_last = db.execute(
        "SELECT MIN(date), MAX(date) FROM observations WHERE symbol = 'BTC-USD'"
    ).fetchone()
    db.close()
    assert "leftover" not in tables  # replaced, not reused
    assert (btc_first[:4], btc_last[:4]) == ("2014", "2025")
    config = load_config(None)
    bundled = {path.stem for path in snapshot_files()}
    for signal in signal_ids(config):
        if signal == config.stage.id:
            continue
        if set(instruments_of(config, signal)) <= bundled:
            assert counts.get(signal, 0) > 100, signal
        else:  # usd_liquidity_daily: the bundle has no daily TGA, it waits for a fetch
            assert signal not in counts, signal


def test_chart_writes_a_png_of_a_stored_signal(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["demo", "--no-serve"]) == 0
    db = ["--db", f"sqlite:///{demo_dir / 'firealarm-demo.db'}"]
    png = demo_dir / "btc.png"
    assert run([*db, "chart", "btc_vs_ndx", "-o", str(png), "--since", "2024-01-01"]) == 0
    image = imread(png)
    assert image.shape[0] > 300 and image.shape[1] > 600
    capsys.readouterr()
    assert run([*db, "chart", "nope", "-o", str(demo_dir / "nope.png")]) == 2
    assert "unknown signal 'nope'" in capsys.readouterr().err
    assert not (demo_dir / "nope.png").exists()
    nowhere = demo_dir / "missing" / "x.png"
    assert run([*db, "chart", "btc_vs_ndx", "-o", str(nowhere)]) == 2
    assert capsys.readouterr().err == f"error: {nowhere}: cannot write: No such file or directory\n"
