"""Job runs in process, on SQLite and PostgreSQL: recording, failures, leadership, evaluation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from monitor.config import FetchConfig, parse_config
from monitor.daemon.jobs import JobFunctions, JobRunner, default_functions
from monitor.daemon.metrics import DaemonMetrics
from monitor.daemon.schedule import fetch_jobs
from monitor.daemon.service import Daemon
from monitor.queries.jobs import job_runs
from monitor.runtime import Runtime
from monitor.sources.csvfile import CsvSource
from monitor.sources.yahoo import YahooSource
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import FetchRun, Observation
from tests.daemon.process import wait_until
from tests.fakes.yahoo import FakeYahoo

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def rt(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """A config with a yahoo instrument (its source down) and a csv one, on a migrated db."""
    csv = tmp_path / "AAA.csv"
    csv.write_text("Date,Close\n2026-11-18,10\n2026-11-19,11\n2026-11-20,12\n")
    text = f"""
        [fetch]
        retries = 0
        [[instruments]]
        symbol = "QQQ"
        source = "yahoo"
        [[instruments]]
        symbol = "AAA"
        source = "csv"
        path = "{csv}"
        [schedule]
        interval = "1s"
        dispatch_seconds = 0.2
        leader_retry_seconds = 0.2
    """
    config = parse_config(text, database_url=db_url)
    engine = create_db_engine(db_url)
    upgrade(engine)
    runtime = Runtime(config, engine)
    yield runtime
    runtime.close()


class Calls:
    """Fake evaluation and dispatch that count their calls (the real ones live elsewhere)."""

    def __init__(self) -> None:
        self.evaluate: list[datetime] = []
        self.dispatch: list[datetime] = []

    def functions(self, runtime: Runtime, yahoo: FakeYahoo) -> JobFunctions:
        sources = {"yahoo": YahooSource(download=yahoo.download), "csv": CsvSource()}
        real = default_functions(runtime, sources)
        return JobFunctions(
            fetch=real.fetch,
            evaluate=lambda _rt, now: self.evaluate.append(now),
            dispatch=lambda _rt, now: self.dispatch.append(now),
        )


def _down() -> FakeYahoo:
    return FakeYahoo(history={}, raise_error=ConnectionError("yahoo is down"))


def _runner(rt: Runtime, functions: JobFunctions, leader: bool = True) -> JobRunner:
    return JobRunner(
        rt,
        functions,
        metrics=DaemonMetrics(),
        runner="test:1",
        is_leader=lambda: leader,
        clock=lambda: NOW,
    )


def _runs(rt: Runtime) -> dict[str, dict]:
    with session_scope(rt.engine) as session:
        return {row["job"]: row for row in job_runs(session)}


def test_a_successful_fetch_is_recorded_then_evaluated(rt: Runtime) -> None:
    calls = Calls()
    runner = _runner(rt, calls.functions(rt, _down()))
    csv_job = next(job for job in fetch_jobs(rt.config) if job.name == "fetch:csv")
    runner.fetch(csv_job)
    runs = _runs(rt)
    assert runs["fetch:csv"]["last_status"] == "ok"
    assert runs["fetch:csv"]["last_success_at"] == NOW
    assert runs["fetch:csv"]["runner"] == "test:1"
    assert runs["fetch:csv"]["next_run_at"] == datetime(2026, 11, 24, 12, 0, 1, tzinfo=UTC)
    assert runs["evaluate"]["last_status"] == "ok"
    assert calls.evaluate == [NOW]
    with session_scope(rt.engine) as session:
        close = session.scalar(
            select(Observation.close).where(Observation.date == date(2026, 11, 20))
        )
    assert close == 12.0


def test_a_failed_fetch_is_recorded_with_its_error_then_evaluated(rt: Runtime) -> None:
    calls = Calls()
    runner = _runner(rt, calls.functions(rt, _down()))
    yahoo_job = next(job for job in fetch_jobs(rt.config) if job.name == "fetch:yahoo")
    runner.fetch(yahoo_job)
    runs = _runs(rt)
    assert runs["fetch:yahoo"]["last_status"] == "failed"
    assert runs["fetch:yahoo"]["last_success_at"] is None
    assert "yahoo is down" in runs["fetch:yahoo"]["last_error"]
    assert calls.evaluate == [NOW]  # so DataStale can fire while every source is down
    assert runs["evaluate"]["last_status"] == "ok"
    with session_scope(rt.engine) as session:
        run = session.scalars(select(FetchRun)).one()
    assert run.status == "failed" and run.source == "yahoo"


def test_a_crashing_evaluation_is_recorded_and_does_not_escape(rt: Runtime) -> None:
    def crash(_rt: Runtime, _now: datetime) -> None:
        raise ZeroDivisionError("bug")

    functions = JobFunctions(
        fetch=default_functions(rt, {"csv": CsvSource()}).fetch, evaluate=crash, dispatch=crash
    )
    csv_job = next(job for job in fetch_jobs(rt.config) if job.name == "fetch:csv")
    _runner(rt, functions).fetch(csv_job)
    runs = _runs(rt)
    assert runs["fetch:csv"]["last_status"] == "ok"
    assert runs["evaluate"]["last_status"] == "failed"
    assert runs["evaluate"]["last_error"] == "ZeroDivisionError: bug"


def test_a_follower_skips_fetch_jobs(rt: Runtime) -> None:
    calls = Calls()
    runner = _runner(rt, calls.functions(rt, _down()), leader=False)
    for job in fetch_jobs(rt.config):
        runner.fetch(job)
    assert _runs(rt) == {}
    with session_scope(rt.engine) as session:
        assert session.scalars(select(FetchRun)).all() == []


def test_daemon_keeps_running_other_sources_while_one_is_down(rt: Runtime) -> None:
    calls = Calls()
    daemon = Daemon(rt, calls.functions(rt, _down()), host="127.0.0.1", port=0)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.serve, args=(stop,))
    thread.start()
    try:

        def both_ran_twice() -> bool:
            runs = _runs(rt)
            return all(runs.get(j, {}).get("runs", 0) >= 2 for j in ("fetch:csv", "fetch:yahoo"))

        wait_until(both_ran_twice, 20, "both fetch jobs to run twice")
        wait_until(lambda: calls.dispatch, 5, "a dispatch")
    finally:
        stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
    runs = _runs(rt)
    assert runs["fetch:yahoo"]["last_status"] == "failed"
    assert runs["fetch:csv"]["last_success_at"] is not None
    assert runs["dispatch"]["last_status"] == "ok"
    assert len(calls.evaluate) >= 2
    with session_scope(rt.engine) as session:
        statuses = pd.Series(session.scalars(select(FetchRun.status)).all())
    assert set(statuses) == {"ok", "failed"}


def test_stopping_abandons_a_fetch_waiting_to_retry(rt: Runtime) -> None:
    slow = Runtime(
        rt.config.model_copy(update={"fetch": FetchConfig(retries=3, backoff=60)}), rt.engine
    )
    stopping = threading.Event()
    sources = {"yahoo": YahooSource(download=_down().download), "csv": CsvSource()}
    functions = default_functions(slow, sources, stopping=stopping)
    yahoo_job = next(job for job in fetch_jobs(rt.config) if job.name == "fetch:yahoo")
    stopping.set()
    started = time.monotonic()
    _runner(slow, functions).fetch(yahoo_job)
    assert time.monotonic() - started < 10  # not 60 + 120 + 240 s of back-off
    runs = _runs(rt)
    assert runs["fetch:yahoo"]["last_status"] == "failed"
    assert "daemon stopping" in runs["fetch:yahoo"]["last_error"]


def test_a_bad_csv_file_is_a_failed_fetch_run_with_its_reason(rt: Runtime) -> None:
    calls = Calls()
    runner = _runner(rt, calls.functions(rt, _down()))
    csv_job = next(job for job in fetch_jobs(rt.config) if job.name == "fetch:csv")
    path = Path(rt.config.instrument("AAA").path)
    path.write_text("Date,Close\n2026-11-18,10\n2026-11-19,-3\n")
    runner.fetch(csv_job)
    with session_scope(rt.engine) as session:
        run = session.scalars(select(FetchRun)).one()
        stored = session.scalars(select(Observation)).all()
    assert run.status == "failed"
    assert run.error == f"{path}:3: close '-3' is not a positive number"
    assert stored == []  # nothing half-written
    assert _runs(rt)["fetch:csv"]["last_error"] == run.error
