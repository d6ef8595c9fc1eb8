"""Each attempt against real loopback receivers: signed when it leaves, bounded as a whole by the
channel's timeout, and never held up by another channel."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from monitor.config import parse_config
from monitor.store.database import session_scope
from monitor.store.models import DeliveryAttempt
from tests.delivery.conftest import SECRET, SECRET_ENV, make_dispatcher, queue_event, webhook_config
from tests.delivery.receiver import Receiver, Reply


def test_a_trickling_receiver_is_cut_at_the_timeout(sqlite_engine):
    receiver = Receiver()
    receiver.default = Reply(trickle=1.0)  # one byte a second: no single read ever times out
    try:
        [delivery_id] = queue_event(sqlite_engine, datetime.now(UTC))
        dispatcher = make_dispatcher(webhook_config(receiver.url, timeout=3), sqlite_engine)
        started = time.monotonic()
        report = dispatcher.dispatch_due(datetime.now(UTC))
        elapsed = time.monotonic() - started
    finally:
        receiver.close()

    assert report.statuses == {delivery_id: "pending"}  # a timeout is retried later
    assert elapsed <= 4.0
    with session_scope(sqlite_engine) as session:
        attempt = session.scalars(select(DeliveryAttempt)).one()
    assert attempt.outcome == "retry" and "Timeout" in (attempt.error or "")
    assert attempt.duration_ms <= 3500


def test_every_request_is_signed_within_seconds_of_its_arrival(sqlite_engine):
    """A slow receiver and a long backlog: each webhook-timestamp is the attempt's own time."""
    receiver = Receiver(secret=SECRET)  # verifies signatures and timestamps at arrival
    receiver.default = Reply(delay=0.5)
    config = parse_config(
        f"""
[channels.hook]
type = "webhook"
url = "{receiver.url}"
secret_env = "{SECRET_ENV}"
concurrency = 2
"""
    )
    try:
        ids = [
            i
            for n in range(24)
            for i in queue_event(sqlite_engine, datetime.now(UTC), rule=f"r{n}")
        ]
        report = make_dispatcher(config, sqlite_engine).dispatch_due(datetime.now(UTC))
    finally:
        receiver.close()

    assert set(report.statuses) == set(ids) and set(report.statuses.values()) == {"sent"}
    assert receiver.bad_signatures == 0
    lags = [r.arrived - int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert max(lags) < 5.0  # the backlog took ~6 s: a batch-time stamp would be older
    assert receiver.requests[-1].arrived - receiver.requests[0].arrived > 4.0


@pytest.mark.slow  # the hanging attempts run out their 10 s before the dispatcher closes
def test_a_hanging_channel_does_not_delay_a_healthy_one(sqlite_engine):
    hanging, healthy = Receiver(), Receiver()
    hanging.default = Reply(delay=30)
    config = parse_config(
        f"""
[channels.stuck]
type = "webhook"
url = "{hanging.url}"
timeout = 10
concurrency = 2

[channels.fine]
type = "webhook"
url = "{healthy.url}"
concurrency = 2
"""
    )
    now = datetime.now(UTC)
    for n in range(10):
        queue_event(sqlite_engine, now, rule=f"stuck{n}", channels=("stuck",))
    for n in range(40):
        queue_event(sqlite_engine, now, rule=f"fine{n}", channels=("fine",))
    dispatcher = make_dispatcher(config, sqlite_engine, env={})
    started = time.time()
    try:
        dispatcher.pump(now)
        deadline = time.monotonic() + 10
        while len(healthy.accepted_ids) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        healthy.close()
        hanging.close()

    assert len(set(healthy.accepted_ids)) == 40
    assert healthy.requests[-1].arrived - started < 1.0
