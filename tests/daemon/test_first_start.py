"""A first start offline: the bundled history served in seconds, failing fetches on top."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, func, select

from monitor.config import load_config
from monitor.queries.signals import signal_ids
from monitor.store.models import FetchRun
from tests.daemon.process import bundled_signal_ids, every_signal_valued, first_start, wait_until


def _runs(db: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        query = select(FetchRun.source, func.count()).group_by(FetchRun.source)
        runs = dict(connection.execute(query).all())
    engine.dispose()
    return runs


def test_make_run_offline_serves_every_signal_within_a_minute(tmp_path: Path) -> None:
    with first_start(tmp_path) as daemon:
        started = time.monotonic()
        assert daemon.wait_for("daemon.started", timeout=60)["config"] == (
            "<packaged defaults> (no config file found)"
        )
        rows = wait_until(lambda: every_signal_valued(daemon), 60, "every signal valued", daemon)
        assert time.monotonic() - started < 60
        assert [r["id"] for r in rows] == signal_ids(load_config(None))
        covered = bundled_signal_ids()
        assert {r["date"] for r in rows if r["id"] in covered} <= {"2025-05-30", "2025-06-30"}
        assert [r["value"] for r in rows if r["id"] not in covered] == [None]  # daily TGA
        loaded = daemon.wait_for("job.end", job="load_bundled")
        assert loaded["status"] == "ok" and loaded["files"] == 15

        def fetches_failed() -> list[dict] | None:
            failed = [s for s in daemon.get("/api/sources").json() if s["status"] == "failed"]
            return failed if {s["source"] for s in failed} >= {"yahoo", "fred"} else None

        failed = wait_until(fetches_failed, 90, "both sources failing", daemon)
        hints = {s["source"]: s["hint"] for s in failed}
        assert "could not be reached" in hints["fred"] and "network" in hints["yahoo"], hints
        stale = [a for a in daemon.get("/api/alerts").json() if a["rule"] == "DataStale"]
        assert len(stale) == 14  # every watched instrument, after the bundled history ends
        assert daemon.get("/healthz").status_code == 200
        assert daemon.stop() == 0
    assert _runs(tmp_path / "firealarm.db")["bundled"] == 15

    with first_start(tmp_path) as again:  # a restart finds data: nothing is loaded twice
        again.wait_for("job.end", job="fetch:fred", timeout=90)
        assert again.stop() == 0
    assert _runs(tmp_path / "firealarm.db")["bundled"] == 15
    assert not [e for e in again.events if e.get("job") == "load_bundled" and e.get("files")]
