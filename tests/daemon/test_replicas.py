"""Two real daemons on one PostgreSQL: one leader fetches, the other takes over when it dies."""

from __future__ import annotations

import signal
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from monitor.store.models import AlertEvent, Delivery, FetchRun, JobRun
from tests.daemon.process import DaemonProcess, wait_until, write_config
from tests.delivery.receiver import Receiver


def _fetch_starts(daemon: DaemonProcess) -> list[datetime]:
    return [
        datetime.fromisoformat(e["ts"])
        for e in daemon.events
        if e.get("event") == "job.start" and str(e.get("job")).startswith("fetch:")
    ]


def test_leader_killed_follower_takes_over_without_duplicates(
    tmp_path: Path, postgres_url: str
) -> None:
    config = write_config(tmp_path)
    with DaemonProcess(config, postgres_url) as a, DaemonProcess(config, postgres_url) as b:
        a.wait_for("daemon.started")
        b.wait_for("daemon.started")
        leader, follower = (a, b) if _leads(a, b) is a else (b, a)
        wait_until(lambda: len(_fetch_starts(leader)) >= 3, 20, "three fetches by the leader")
        assert _fetch_starts(follower) == []
        assert follower.get("/healthz").json()["checks"]["leader"] is False
        leader.proc.kill()  # SIGKILL: no clean-up, the lock goes with the connection
        leader.finish()
        follower.wait_for("leader.acquired", timeout=30)
        wait_until(lambda: len(_fetch_starts(follower)) >= 2, 20, "fetches by the new leader")
        assert follower.get("/healthz").json()["checks"]["leader"] is True
        assert follower.stop(signal.SIGTERM) == 0

    before, after = _fetch_starts(leader), _fetch_starts(follower)
    assert max(before) < min(after)  # never two fetching leaders at once
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        runs = connection.execute(select(FetchRun.started_at, FetchRun.status)).all()
        job = connection.execute(select(JobRun).where(JobRun.job == "fetch:csv")).one()
    engine.dispose()
    # Every fetch run is one logged job start (the killed leader may have died in between).
    assert len(before) + len(after) - 1 <= len(runs) <= len(before) + len(after)
    assert job.runner.endswith(f":{follower.proc.pid}")
    assert {status for _, status in runs} <= {"ok", "running"}


def _leads(a: DaemonProcess, b: DaemonProcess) -> DaemonProcess:
    def leader() -> DaemonProcess | None:
        for daemon in (a, b):
            if any(e.get("event") == "leader.acquired" for e in daemon.events):
                return daemon
        return None

    return wait_until(leader, 20, "a leader")


def _recent_closes(path: Path, days: int = 4) -> None:
    """Closes on the last weekdays before today: the alert is news (sent), no repeat is due yet."""
    day, rows = date.today(), []
    while len(rows) < days:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            rows.append(f"{day.isoformat()},{100 + len(rows)}")
    path.write_text("Date,Close\n" + "\n".join(reversed(rows)) + "\n")


def test_replicas_store_and_send_each_alert_once(tmp_path: Path, postgres_url: str) -> None:
    receiver = Receiver()
    alerting = f"""
        [[signals]]
        id = "aaa_level"
        kind = "level"
        inputs = ["AAA"]

        [[rules]]
        name = "aaa_high"
        signal = "aaa_level"
        op = ">"
        threshold = 50

        [alerts]
        default_channels = ["hook"]

        [channels.hook]
        type = "webhook"
        url = "{receiver.url}"
    """
    config = write_config(tmp_path, extra=alerting)
    _recent_closes(tmp_path / "AAA.csv")
    try:
        with DaemonProcess(config, postgres_url) as a, DaemonProcess(config, postgres_url) as b:
            leader, follower = (a, b) if _leads(a, b) is a else (b, a)
            wait_until(lambda: receiver.accepted_ids, 20, "the alert delivered")
            # Both replicas keep dispatching and the leader keeps evaluating for a while.
            wait_until(lambda: len(_fetch_starts(leader)) >= 4, 20, "more evaluations")
            leader.proc.kill()
            leader.finish()
            follower.wait_for("leader.acquired", timeout=30)
            follower.wait_for("job.end", job="evaluate", status="ok", alert_events=0)
            assert follower.stop() == 0
    finally:
        receiver.close()

    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        events = connection.execute(select(AlertEvent.rule, AlertEvent.state)).all()
        deliveries = connection.execute(select(Delivery.id, Delivery.status)).all()
    engine.dispose()
    assert events == [("aaa_high", "firing")]
    transitions = [
        e for d in (leader, follower) for e in d.events if e.get("event") == "alert.transition"
    ]
    assert len(transitions) == 1
    assert [status for _, status in deliveries] == ["sent"]
    assert receiver.accepted_ids == [deliveries[0][0]]  # sent once, by one replica
