"""Each attempt against real loopback receivers: signed when it leaves, bounded as a whole by the
channel's timeout, and never held up by another channel."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.config import parse_config
from monitor.delivery.claims import claim_due, new_owner
from monitor.delivery.outcome import SendResult
from monitor.delivery.record import Attempted, record_attempts
from monitor.store.database import session_scope, transaction
from monitor.store.models import Delivery, DeliveryAttempt
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


def test_an_error_with_control_characters_is_stored_on_both_databases(engine, clock):
    """A receiver's or plugin's text may hold a NUL, which PostgreSQL's text refuses: stored
    without it, else the record would fail at every try and its lane stop for good."""
    [delivery_id] = queue_event(engine, clock.now)
    owner = new_owner()
    with transaction(engine) as connection:
        [claim] = claim_due(connection, now=clock.now, limit=1, owner=owner)
    result = SendResult("retry", status_code=500, error="HTTP 500: bad\x00byte\r\nend")
    with transaction(engine) as connection:
        statuses = record_attempts(
            connection,
            [Attempted(claim, "hook", clock.now, result)],
            owner=owner,
            max_age=timedelta(days=3),
            rng=random.Random(1),
            channels=["hook"],
        )
    assert statuses == {delivery_id: "pending"}
    with session_scope(engine) as session:
        attempt = session.scalars(select(DeliveryAttempt)).one()
        delivery = session.get(Delivery, delivery_id)
    assert attempt.error == delivery.last_error == "HTTP 500: badbyte  end"
