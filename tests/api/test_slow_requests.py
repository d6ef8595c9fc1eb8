"""One slow request holds up only its own kind: database work runs off the event loop.

A real server (the daemon's and `firealarm serve`'s in one process) over PostgreSQL; another
session of the test's own database holds a lock on ``signal_values``, so history requests wait
in the database for as long as the test says, while ``/healthz`` (which reads no table) and
``/api/silences`` (another table) must keep answering. More clients wait than histories are
built at once (:data:`~monitor.api.cache.BUILDERS`): the others queue for a builder, not in the
database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from monitor.api import create_app
from monitor.api.cache import BUILDERS
from monitor.api.server import background_server
from monitor.runtime import open_runtime
from tests.api.seed import DAYS, seed

HISTORY = "/api/signals/btc_vs_ndx/history"
WAITING = BUILDERS + 1  # history requests stuck at once: in the database, then in the queue


@pytest.fixture
def locker(postgres_url: str) -> Iterator[Connection]:
    """A session of the test's database that can lock its tables (rolled back at the end)."""
    engine = create_engine(postgres_url, poolclass=NullPool)
    with engine.connect() as connection:
        yield connection
        connection.rollback()
    engine.dispose()


def _waiting_on_locks(connection: Connection) -> int:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return int(connection.execute(query).scalar_one())


def test_requests_waiting_on_a_lock_do_not_hold_up_healthz(
    postgres_url: str, locker: Connection
) -> None:
    runtime = open_runtime(None, postgres_url)
    seed(runtime.engine)
    app = create_app(runtime, api_token="")
    # Autocommit: pg_stat_activity is a snapshot taken once per transaction.
    watcher = create_engine(postgres_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    observer = watcher.connect()
    with background_server(app) as base, ThreadPoolExecutor(WAITING) as pool:
        locker.execute(text("LOCK TABLE signal_values IN ACCESS EXCLUSIVE MODE"))
        slow: list[Future[httpx.Response]] = [
            pool.submit(httpx.get, base + HISTORY, timeout=60) for _ in range(WAITING)
        ]
        deadline = time.monotonic() + 30
        while _waiting_on_locks(observer) < BUILDERS:
            assert time.monotonic() < deadline, "the history requests never reached the lock"
            time.sleep(0.05)
        for path in ["/healthz", "/api/silences"] * 3:
            started = time.monotonic()
            assert httpx.get(base + path, timeout=10).status_code == 200
            assert time.monotonic() - started < 2.0  # not queued behind the waiting requests
        assert _waiting_on_locks(observer) == BUILDERS  # the last waits for a builder
        assert not any(future.done() for future in slow)  # they were waiting all along
        locker.rollback()  # the lock goes: every waiting request is answered
        for future in slow:
            response = future.result(timeout=30)
            assert response.status_code == 200
            assert len(response.json()) == DAYS
    observer.close()
    watcher.dispose()
    runtime.close()
