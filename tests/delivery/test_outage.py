"""PostgreSQL goes away while attempts are in flight: they are stored once it is back, and the
claims, held meanwhile by the live dispatcher, are never sent twice. While nothing can be
recorded, the channel sends no more than its concurrency (what a crash could then resend)."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from monitor.config import parse_config
from monitor.errors import StoreError
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import Delivery, DeliveryAttempt
from tests.daemon.test_outage import _allow_connections
from tests.delivery.conftest import SECRET, SECRET_ENV, make_dispatcher, queue_event
from tests.delivery.receiver import Receiver, Reply

ALERTS = 16
CONCURRENCY = 4


@pytest.mark.slow
def test_attempts_finishing_during_an_outage_are_stored_after_it(postgres_url):
    receiver = Receiver(secret=SECRET)
    receiver.default = Reply(delay=1.0)
    engine = create_db_engine(postgres_url)
    upgrade(engine)
    now = datetime.now(UTC)
    ids = [i for n in range(ALERTS) for i in queue_event(engine, now, rule=f"r{n}")]
    config = parse_config(
        f'[channels.hook]\ntype = "webhook"\nurl = "{receiver.url}"\n'
        f'secret_env = "{SECRET_ENV}"\nconcurrency = {CONCURRENCY}\n'
    )
    dispatcher = make_dispatcher(config, engine)
    try:
        dispatcher.pump(datetime.now(UTC))
        deadline = time.monotonic() + 10
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        _allow_connections(postgres_url, False)  # the requests in flight finish meanwhile
        before = len(receiver.requests)
        time.sleep(3)  # a channel not held back by its unrecorded attempts would send ~12 more
        during = len(receiver.requests) - before
        _allow_connections(postgres_url, True)
        deadline = time.monotonic() + 60
        while not set(receiver.accepted_ids) >= set(ids) and time.monotonic() < deadline:
            with contextlib.suppress(StoreError):
                dispatcher.pump(datetime.now(UTC))  # as the daemon's tick does
            time.sleep(0.5)
        dispatcher.close()
    finally:
        _allow_connections(postgres_url, True)
        receiver.close()

    assert set(receiver.accepted_ids) == set(ids)
    assert max(Counter(receiver.accepted_ids).values()) == 1  # nothing sent twice
    assert during <= CONCURRENCY
    with session_scope(engine) as session:
        statuses = set(session.scalars(select(Delivery.status)))
        attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt))
    engine.dispose()
    assert statuses == {"sent"}
    assert attempts == len(receiver.requests)  # the history misses no attempt
