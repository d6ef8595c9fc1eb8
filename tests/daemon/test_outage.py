"""The database goes away while the daemon runs, then comes back (real PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, make_url, select, text

from monitor.config import parse_config
from monitor.daemon.jobs import JobFunctions, default_functions
from monitor.daemon.service import Daemon
from monitor.runtime import Runtime
from monitor.sources.csvfile import CsvSource
from monitor.store.database import create_db_engine, session_scope
from monitor.store.models import JobRun
from tests.conftest import POSTGRES_ADMIN_URL
from tests.daemon.process import wait_until

pytestmark = pytest.mark.usefixtures("bystander")


def _allow_connections(url: str, allowed: bool) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        )
        if not allowed:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
    admin.dispose()


@pytest.fixture
def daemon(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Daemon, str]]:
    csv = tmp_path / "AAA.csv"
    csv.write_text("Date,Close\n2024-01-02,100\n2024-01-03,101\n")
    config = parse_config(
        f"""
        [[instruments]]
        symbol = "AAA"
        source = "csv"
        path = "{csv}"
        [schedule]
        interval = "1s"
        dispatch_seconds = 0.5
        leader_retry_seconds = 0.3
        [server]
        port = 0
        """,
        database_url=postgres_url,
    )
    runtime = Runtime(config, create_db_engine(postgres_url))
    functions = default_functions(runtime, {"csv": CsvSource()})
    quiet = JobFunctions(functions.fetch, lambda *_: None, lambda *_: None)
    daemon = Daemon(runtime, quiet, host="127.0.0.1", port=0)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.serve, args=(stop,))
    thread.start()
    try:
        yield daemon, postgres_url
    finally:
        _allow_connections(postgres_url, True)
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def _fetch_job(url: str) -> JobRun | None:
    engine = create_db_engine(url)
    try:
        with session_scope(engine) as session:
            return session.scalar(select(JobRun).where(JobRun.job == "fetch:csv"))
    finally:
        engine.dispose()


def test_database_lost_then_back(daemon: tuple[Daemon, str]) -> None:
    service, url = daemon
    health = f"http://127.0.0.1:{wait_until(lambda: service.port, 20, 'a port')}/healthz"
    wait_until(lambda: httpx.get(health).status_code == 200, 20, "healthy")
    wait_until(lambda: (job := _fetch_job(url)) and job.last_status == "ok", 20, "a fetch")

    _allow_connections(url, False)
    response = wait_until(
        lambda: (r := httpx.get(health, timeout=15)).status_code == 503 and r, 30, "a 503"
    )
    assert response.json()["database"].startswith("unreachable")
    assert service.scheduler.running  # the daemon stays up, jobs fail and retry

    _allow_connections(url, True)
    wait_until(lambda: httpx.get(health, timeout=15).status_code == 200, 30, "healthy again")
    first = _fetch_job(url)
    assert first is not None
    wait_until(
        lambda: (job := _fetch_job(url)) and job.runs > first.runs and job.last_status == "ok",
        30,
        "fetches to resume",
    )
