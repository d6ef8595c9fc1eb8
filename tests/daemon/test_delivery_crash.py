"""``firealarm run`` killed with -9 while a slow receiver is accepting: a restarted daemon sends
within seconds, every alert arrives, and only the requests in flight are sent twice."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.store.database import create_db_engine
from monitor.store.migrate import upgrade
from tests.daemon.process import DaemonProcess, wait_until, write_config
from tests.delivery.conftest import SECRET, SECRET_ENV, queue_event
from tests.delivery.receiver import Receiver, Reply

ALERTS = 50
CONCURRENCY = 4


@pytest.mark.slow
def test_kill_9_mid_send_then_restart(tmp_path: Path, sqlite_url: str) -> None:
    receiver = Receiver(secret=SECRET)  # verifies each signature and timestamp on arrival
    receiver.default = Reply(delay=1.0)
    hook = f"""
        [channels.hook]
        type = "webhook"
        url = "{receiver.url}"
        secret_env = "{SECRET_ENV}"
        concurrency = {CONCURRENCY}
    """
    config = write_config(tmp_path, interval="", extra=hook)
    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    ids = [i for n in range(ALERTS) for i in queue_event(engine, datetime.now(UTC), rule=f"r{n}")]
    engine.dispose()
    env = {SECRET_ENV: SECRET}
    try:
        with DaemonProcess(config, sqlite_url, env=env) as first:
            wait_until(lambda: len(receiver.requests) >= 12, 60, "12 requests", first)
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait()
        before = len(receiver.requests)
        restarted = time.time()
        with DaemonProcess(config, sqlite_url, env=env) as second:
            wait_until(lambda: len(receiver.requests) > before, 60, "a new attempt", second)
            first_new = receiver.requests[before].arrived
            wait_until(lambda: set(receiver.accepted_ids) >= set(ids), 120, "every alert", second)
            assert second.stop(signal.SIGTERM) == 0
    finally:
        receiver.close()

    assert first_new - restarted < 30
    duplicates = sum(n - 1 for n in Counter(receiver.accepted_ids).values())
    assert duplicates <= CONCURRENCY  # at most the requests in flight when it was killed
    assert receiver.bad_signatures == 0
    lags = [r.arrived - int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert max(lags) < 5.0
