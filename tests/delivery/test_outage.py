"""PostgreSQL goes away while attempts are in flight: they are stored once it is back, and the
claims, held meanwhile by the live dispatcher, are never sent twice. While nothing can be
recorded, the channel sends no more than its concurrency (what a crash could then resend). An
outage longer than a lease, and a claim whose commit fails, send nothing twice either."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher
from monitor.errors import StoreError
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import Delivery, DeliveryAttempt
from tests.daemon.test_outage import _allow_connections
from tests.delivery.conftest import SECRET, SECRET_ENV, make_dispatcher, queue_event, webhook_config
from tests.delivery.receiver import Receiver, Reply

ALERTS = 16
CONCURRENCY = 4


def _queued(url: str, count: int, now: datetime) -> tuple[Engine, list[str]]:
    """A migrated database at ``url`` with ``count`` alerts queued for ``hook``: their ids."""
    engine = create_db_engine(url)
    upgrade(engine)
    return engine, [i for n in range(count) for i in queue_event(engine, now, rule=f"r{n}")]


def _wait_for(done: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.slow
def test_attempts_finishing_during_an_outage_are_stored_after_it(postgres_url):
    receiver = Receiver(secret=SECRET)
    receiver.default = Reply(delay=1.0)
    engine, ids = _queued(postgres_url, ALERTS, datetime.now(UTC))
    config = webhook_config(receiver.url, concurrency=CONCURRENCY)
    dispatcher = make_dispatcher(config, engine)
    try:
        dispatcher.pump(datetime.now(UTC))
        _wait_for(lambda: len(receiver.requests) >= 2)
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


LEASE = timedelta(seconds=2)


def _pump_until(dispatchers: list[Dispatcher], done, seconds: float = 60) -> None:
    """Pump every dispatcher, as the daemons' ticks do, until ``done()``."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        for dispatcher in dispatchers:
            with contextlib.suppress(StoreError):
                dispatcher.pump(datetime.now(UTC))
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("replica", [False, True], ids=["alone", "beside a replica"])
def test_an_outage_longer_than_a_lease_sends_nothing_twice(postgres_url, replica):
    """PostgreSQL is away for twice the claims' lease while the channel holds 16 claims, 2 in
    flight. Once it is back the dispatcher renews before it claims again, so alone it sends each
    once; beside a replica that took the expired claims, it sends none of those it had in hand
    (only the attempts in flight when the database went can arrive twice). A delivery queued
    afterwards still goes out: the channel is not left stalled."""
    receiver = Receiver(secret=SECRET)
    receiver.default = Reply(delay=0.3)
    engine, ids = _queued(postgres_url, ALERTS, datetime.now(UTC))
    config = webhook_config(receiver.url, concurrency=2)
    claims = {"lease": LEASE, "renew_every": LEASE / 4}
    first = make_dispatcher(config, engine, **claims)
    dispatchers = [make_dispatcher(config, engine, **claims), first] if replica else [first]
    try:
        first.pump(datetime.now(UTC))
        _wait_for(lambda: len(receiver.requests) >= 2)
        _allow_connections(postgres_url, False)
        time.sleep(2 * LEASE.total_seconds())
        _allow_connections(postgres_url, True)
        _pump_until(dispatchers, lambda: set(receiver.accepted_ids) >= set(ids))
        late = queue_event(engine, datetime.now(UTC), rule="late")
        _pump_until(dispatchers, lambda: set(receiver.accepted_ids) >= set(late))
        for dispatcher in dispatchers:
            dispatcher.close()
    finally:
        _allow_connections(postgres_url, True)
        receiver.close()

    sends = Counter(receiver.accepted_ids)
    assert set(sends) == set(ids + late)
    twice = [delivery_id for delivery_id, count in sends.items() if count > 1]
    assert len(twice) <= (2 if replica else 0) and max(sends.values()) <= 2
    with session_scope(engine) as session:
        statuses = set(session.scalars(select(Delivery.status)))
        attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt))
    engine.dispose()
    assert statuses == {"sent"}
    assert attempts == len(receiver.requests)


REFUSE_CLAIMS = """
CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'claims refused at commit (test)'; END $$;
CREATE CONSTRAINT TRIGGER refuse_claims AFTER UPDATE ON deliveries
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.lease_owner IS NOT NULL)
EXECUTE FUNCTION refuse_claims();
"""


def test_a_claim_whose_commit_fails_is_not_sent(postgres_url, receiver, clock):
    """The claim's statements succeed and its COMMIT fails (a deferred check): the claims never
    were, so nothing is sent (another dispatcher could hold them) and the run says so (`firealarm
    deliver` prints it and exits 1); once commits work, each delivery is sent once."""
    engine, ids = _queued(postgres_url, 3, clock.now)
    config = webhook_config(receiver.url)
    owner = create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with owner.connect() as connection:
        connection.exec_driver_sql(REFUSE_CLAIMS)
    refused = make_dispatcher(config, engine).dispatch_due(clock.now)
    sent_meanwhile = len(receiver.requests)
    with owner.connect() as connection:
        connection.execute(text("DROP TRIGGER refuse_claims ON deliveries"))
    owner.dispose()
    report = make_dispatcher(config, engine).dispatch_due(clock.now)
    engine.dispose()

    assert sent_meanwhile == 0 and refused.statuses == {} and refused.failed
    assert "claiming failed: " in refused.summary() and "claims refused at commit" in (
        refused.summary()
    )
    assert report.statuses == dict.fromkeys(ids, "sent")
    assert sorted(receiver.accepted_ids) == sorted(ids)


@pytest.mark.slow
@pytest.mark.parametrize("outage", [0.75, 2.0], ids=["within a lease", "two leases"])
def test_after_an_outage_a_channel_sends_all_it_had_in_hand(postgres_url, outage):
    """While another channel's attempt is still under way, a channel's 8 claims in hand (one
    sent at a time) are all sent once after an outage: the claims are renewed before the
    places freed by recording wake its senders, so none is dropped and left claimed."""
    fast, slow = Receiver(secret=SECRET), Receiver(secret=SECRET)
    fast.default, slow.default = Reply(delay=0.2), Reply(delay=6 + outage * LEASE.total_seconds())
    engine, ids = _queued(postgres_url, 8, datetime.now(UTC))
    queue_event(engine, datetime.now(UTC), channels=("slow",), rule="slow")
    config = parse_config(
        "".join(
            f'[channels.{name}]\ntype = "webhook"\nurl = "{receiver.url}"\n'
            f'secret_env = "{SECRET_ENV}"\nconcurrency = 1\ntimeout = 30\n'
            for name, receiver in (("hook", fast), ("slow", slow))
        )
    )
    dispatcher = make_dispatcher(config, engine, lease=LEASE, renew_every=LEASE / 4)
    try:
        dispatcher.pump(datetime.now(UTC))
        _wait_for(lambda: bool(slow.requests and fast.requests))
        _allow_connections(postgres_url, False)
        time.sleep(outage * LEASE.total_seconds())
        _allow_connections(postgres_url, True)
        _pump_until([dispatcher], lambda: set(fast.accepted_ids) >= set(ids), seconds=5)
        sent_after = set(fast.accepted_ids)
        dispatcher.close()
    finally:
        _allow_connections(postgres_url, True)
        fast.close()
        slow.close()
    engine.dispose()
    assert sent_after == set(ids)
    assert max(Counter(fast.accepted_ids).values()) == 1


@pytest.mark.slow
def test_a_410_answered_during_an_outage_stops_the_channel_after_it(postgres_url):
    """Both attempts in flight get 410 while nothing can be recorded; the daemon's next tick
    comes before the 410 is stored: the channel still sends none of the 18 in hand."""
    receiver = Receiver(secret=SECRET)
    receiver.default = Reply(410, delay=1.0)
    engine, ids = _queued(postgres_url, 20, datetime.now(UTC))
    config = webhook_config(receiver.url, concurrency=2)
    dispatcher = make_dispatcher(config, engine)
    try:
        dispatcher.pump(datetime.now(UTC))
        _wait_for(lambda: len(receiver.requests) >= 2)
        _allow_connections(postgres_url, False)
        time.sleep(2.0)  # both 410s arrive; they cannot be recorded
        _allow_connections(postgres_url, True)
        dispatcher.pump(datetime.now(UTC))
        time.sleep(3.0)
        dispatcher.close()
    finally:
        _allow_connections(postgres_url, True)
        receiver.close()
    with session_scope(engine) as session:
        statuses = set(session.scalars(select(Delivery.status).where(Delivery.id.in_(ids))))
    engine.dispose()
    assert len(receiver.requests) == 2
    assert statuses == {"failed"}
