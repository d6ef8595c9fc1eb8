"""``firealarm status`` shows the daemon's view: each job's last run, next run and runner."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitor.cli import run
from monitor.daemon.runs import record_finish, record_start
from monitor.runtime import Runtime

STARTED = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)
NEXT = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)


def _record(runtime: Runtime) -> None:
    engine = runtime.engine
    record_start(engine, "fetch:yahoo", "host-a:11", STARTED)
    record_finish(engine, "fetch:yahoo", now=STARTED, error=None, next_run=NEXT)
    record_start(engine, "fetch:fred", "host-a:11", STARTED)
    record_finish(engine, "fetch:fred", now=STARTED, error="fred: HTTP 503", next_run=NEXT)


def test_status_json_has_the_daemon_jobs(
    runtime: Runtime, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _record(runtime)
    assert run(["--db", db_url, "status", "--format", "json"]) == 0
    jobs = {job["job"]: job for job in json.loads(capsys.readouterr().out)["daemon"]}
    assert jobs["fetch:yahoo"]["last_status"] == "ok"
    assert jobs["fetch:yahoo"]["runner"] == "host-a:11"
    assert datetime.fromisoformat(jobs["fetch:yahoo"]["next_run_at"]) == NEXT
    assert datetime.fromisoformat(jobs["fetch:yahoo"]["last_success_at"]) == STARTED
    assert jobs["fetch:fred"]["last_status"] == "failed"
    assert jobs["fetch:fred"]["last_success_at"] is None
    assert jobs["fetch:fred"]["last_error"] == "fred: HTTP 503"


def test_status_table_shows_jobs_or_says_none_ran(
    runtime: Runtime,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: no cell is cut
    assert run(["--db", db_url, "status"]) == 0
    assert "no job has run yet" in capsys.readouterr().out
    _record(runtime)
    assert run(["--db", db_url, "status"]) == 0
    out = capsys.readouterr().out
    assert "daemon jobs" in out
    assert "fetch:yahoo" in out and "host-a:11" in out and "fred: HTTP 503" in out
