"""The real daemon as a subprocess: it fetches, serves health and metrics, and stops cleanly."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select

from monitor.store.models import AlertEvent, FetchRun, JobRun, Observation
from tests.daemon.process import DaemonProcess, wait_until, write_config


def _job(url: str, name: str) -> JobRun | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(JobRun).where(JobRun.job == name)).first()
    finally:
        engine.dispose()


def test_daemon_fetches_serves_and_stops_on_sigterm(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path)
    with DaemonProcess(config, sqlite_url) as daemon:
        daemon.wait_for("job.end", job="fetch:csv", status="ok")
        health = daemon.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok" and body["database"] == "ok"
        assert body["checks"]["leader"] is True
        assert body["checks"]["jobs"]["fetch:csv"]["last_success_at"] is not None
        assert daemon.get("/").status_code == 200  # the dashboard, from the same server
        metrics = daemon.get("/metrics").text
        assert 'firealarm_fetch_runs_total{source="csv",status="ok"}' in metrics
        assert 'firealarm_rows_stored_total{source="csv"} ' in metrics
        assert 'firealarm_job_last_success_timestamp_seconds{job="fetch:csv"}' in metrics
        assert "firealarm_database_up 1.0" in metrics
        assert daemon.stop(signal.SIGTERM) == 0
    assert daemon.events[-1]["event"] == "daemon.stopped"
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        runs = connection.execute(select(FetchRun.status, FetchRun.rows)).all()
        closes = connection.execute(select(Observation.close).order_by(Observation.date)).all()
        job = connection.execute(select(JobRun).where(JobRun.job == "fetch:csv")).one()
    engine.dispose()
    assert runs and all(status == "ok" and rows == 3 for status, rows in runs)
    assert [c for (c,) in closes] == [100.0, 101.0, 102.0]
    assert job.last_status == "ok" and job.runs == len(runs)
    assert job.runner.endswith(f":{daemon.proc.pid}")
    assert job.next_run_at is not None


def test_sigint_also_stops_cleanly(tmp_path: Path, sqlite_url: str) -> None:
    with DaemonProcess(write_config(tmp_path), sqlite_url) as daemon:
        daemon.wait_for("daemon.started")
        assert daemon.stop(signal.SIGINT) == 0


def test_second_daemon_on_the_same_sqlite_database_refuses(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path)
    with DaemonProcess(config, sqlite_url) as first:
        first.wait_for("daemon.started")
        with DaemonProcess(config, sqlite_url) as second:
            assert second.finish() == 1
        message = "\n".join(second.lines)
        assert "another firealarm daemon is running" in message
        assert f"pid {first.proc.pid}" in message
        assert "Traceback" not in message
        # The first one is unharmed.
        assert first.get("/healthz").status_code == 200
        assert first.stop() == 0


def test_a_missed_run_runs_once_at_start_up(tmp_path: Path, sqlite_url: str) -> None:
    # Yearly cron: the only way the job runs now is the start-up catch-up.
    config = write_config(tmp_path, interval="", schedule='yahoo = "0 0 1 1 *"')
    with DaemonProcess(config, sqlite_url) as daemon:
        daemon.wait_for("job.end", job="fetch:csv", status="ok")
        assert daemon.stop() == 0
    first = _job(sqlite_url, "fetch:csv")
    assert first is not None and first.runs == 1
    dispatched = _job(sqlite_url, "dispatch")
    before = dispatched.runs if dispatched else 0
    # Restarted with a success after the latest fire time: nothing was missed, nothing runs.
    with DaemonProcess(config, sqlite_url) as daemon:
        daemon.wait_for("leader.acquired")
        # The scheduler has been at work: the dispatcher (every 0.5 s) ran twice more.
        wait_until(
            lambda: (job := _job(sqlite_url, "dispatch")) and job.runs >= before + 2,
            20,
            "two dispatches",
        )
        assert daemon.stop() == 0
    assert not [e for e in daemon.events if e.get("event") == "job.catchup"]
    again = _job(sqlite_url, "fetch:csv")
    assert again is not None and again.runs == 1


def test_bad_cron_exits_2_naming_the_job(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, schedule='fred = "0 25 * * *"')
    with DaemonProcess(config, sqlite_url) as daemon:
        assert daemon.finish() == 2
    assert "schedule.fred" in "\n".join(daemon.lines)
    assert "Traceback" not in "\n".join(daemon.lines)


def test_unreachable_database_exits_1_with_one_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://firealarm:hunter2@127.0.0.1:1/nowhere"
    with DaemonProcess(write_config(tmp_path), url) as daemon:
        assert daemon.finish() == 1
    errors = [line for line in daemon.lines if line.startswith("error:")]
    assert len(errors) == 1, daemon.lines
    assert "127.0.0.1:1" in errors[0]
    assert "hunter2" not in "\n".join(daemon.lines)


def test_unusable_port_exits_1(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path)
    with DaemonProcess(config, sqlite_url) as first:
        port = first.port
        other = tmp_path / "other.db"
        with DaemonProcess(config, f"sqlite:///{other}", "--port", str(port)) as second:
            assert second.finish() == 1
        assert f"cannot serve HTTP on 127.0.0.1:{port}" in "\n".join(second.lines)
        assert first.stop() == 0
        wait_until(lambda: first.proc.poll() is not None, 5, "first exit")


@pytest.mark.parametrize("where", ["userinfo", "query"])
def test_logs_are_json_lines_without_the_database_password(
    tmp_path: Path, postgres_url: str, where: str
) -> None:
    # The local server trusts connections, so any password works, and must never be logged.
    parsed = make_url(postgres_url)
    if where == "userinfo":
        parsed = parsed.set(password="hunter2")
    else:
        parsed = parsed.update_query_dict({"password": "hunter2"})
    url = parsed.render_as_string(hide_password=False)
    with DaemonProcess(write_config(tmp_path), url) as daemon:
        started = daemon.wait_for("daemon.started")
        daemon.wait_for("job.end", job="fetch:csv", status="ok")
        assert daemon.stop() == 0
    assert "hunter2" not in "\n".join(daemon.lines)
    masked = "postgres:***@" if where == "userinfo" else "?password=***"
    assert masked in started["database"]
    assert len(daemon.events) == len(daemon.lines)  # every line is one JSON object
    assert {"ts", "level", "logger", "event"} <= set(started)


ALERTING = """
[[signals]]
id = "aaa_level"
kind = "level"
inputs = ["AAA"]

[[rules]]
name = "aaa_high"
signal = "aaa_level"
op = ">"
threshold = 50
"""


def test_alert_transitions_are_logged_once_each(tmp_path: Path, sqlite_url: str) -> None:
    with DaemonProcess(write_config(tmp_path, extra=ALERTING), sqlite_url) as daemon:
        daemon.wait_for("alert.transition", rule="aaa_high")
        # Later evaluations of the same data store nothing new.
        daemon.wait_for("job.end", job="evaluate", alert_events=0)
        assert daemon.stop() == 0
    logged = [e for e in daemon.events if e.get("event") == "alert.transition"]
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        stored = connection.execute(select(AlertEvent.state, AlertEvent.date)).all()
    engine.dispose()
    assert sorted((e["state"], e["date"]) for e in logged) == sorted(
        (state, str(day)) for state, day in stored
    )
    assert {e["state"] for e in logged} == {"firing"}
