"""An evaluation waits for another one in progress, on both databases."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, text

from monitor.evaluation import evaluate
from monitor.runtime import Runtime
from monitor.store.locks import EVALUATION_LOCK_KEY

pytestmark = pytest.mark.usefixtures("bystander")

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)


INSERT = (
    "INSERT INTO observations (symbol, date, available_date, close, source, provider, fetched_at) "
    "VALUES ('BTC-USD', '{day}', '{day}', {close}, 'yahoo', 'yahoo', '2025-07-01 00:00:00.000000')"
)
DAYS = [("2025-06-28", 100.0), ("2025-06-29", 80.0), ("2025-06-30", 90.0)]


class _OtherEvaluation:
    """Another evaluation in progress: it holds the lock and has written, not yet committed."""

    def __init__(self, runtime: Runtime) -> None:
        url = runtime.engine.url
        if url.get_backend_name() == "sqlite":
            connection = sqlite3.connect(url.database, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            for day, close in DAYS:
                connection.execute(INSERT.format(day=day, close=close))
            self.release = lambda: connection.execute("COMMIT")
        else:
            connection = create_engine(url).connect()
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVALUATION_LOCK_KEY})
            for day, close in DAYS:
                connection.execute(text(INSERT.format(day=day, close=close)))
            self.release = connection.commit


def test_an_evaluation_waits_for_the_one_in_progress_and_reads_what_it_wrote(
    runtime: Runtime,
) -> None:
    other = _OtherEvaluation(runtime)
    reports = []
    thread = threading.Thread(target=lambda: reports.append(evaluate(runtime, now=NOW)))
    thread.start()
    time.sleep(1.0)
    assert thread.is_alive() and reports == []  # waiting, not evaluating beside it
    other.release()
    thread.join(timeout=30)
    drawdown = next(s for s in reports[0].signals if s.signal == "btc_drawdown")
    assert (drawdown.values, drawdown.latest) == (3, date(2025, 6, 30))  # read after the commit
