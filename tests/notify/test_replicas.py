"""Two replicas queueing alerts of one group at once on PostgreSQL: one notification per
channel, and two replicas dispatching it send it once (a loopback receiver counts)."""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy import select

from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.members import listed_events
from monitor.delivery.senders import build_senders
from monitor.notify.queue import Notice, queue_notifications
from monitor.rules.stale import stale_rule
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import AlertEvent, Delivery
from tests.delivery.receiver import Receiver
from tests.notify.conftest import NOW, START

CONFIG = """
[alerts]
default_channels = ["one", "two"]

[channels.one]
type = "webhook"
url = "{url}/one"

[channels.two]
type = "webhook"
url = "{url}/two"


[[instruments]]
symbol = "A"
source = "yahoo"

[[instruments]]
symbol = "B"
source = "yahoo"
"""


def test_concurrent_replicas_queue_one_notification_per_group_and_channel(
    postgres_url: str, receiver: Receiver
) -> None:
    config = parse_config(CONFIG.format(url=receiver.url))
    engine = create_db_engine(postgres_url)
    upgrade(engine)
    notices = {}
    with session_scope(engine) as session:
        for instrument in config.instruments:
            rule = stale_rule(instrument, config.alerts.data_stale_group_by)
            event = AlertEvent(
                rule=rule.name,
                fingerprint=instrument.symbol,
                state="firing",
                reason="first firing",
                date=START,
                signal=rule.signal,
                value=9.0,
                threshold=5.0,
                severity="warning",
                labels=json.dumps(rule.labels),
                summary=f"{instrument.symbol} stale",
                recorded_at=NOW,
            )
            session.add(event)
            session.flush()
            notices[instrument.symbol] = Notice(event.id, instrument.symbol, rule)
    first_queued, counts = threading.Event(), {}

    def replica(symbol: str) -> None:
        if symbol == "B":
            first_queued.wait()
        own = create_db_engine(postgres_url)
        with session_scope(own) as session:
            counts[symbol] = queue_notifications(session, config, [notices[symbol]], {}, NOW, {})
            if symbol == "A":
                first_queued.set()
                time.sleep(1.0)  # B now waits on the group's row lock
        own.dispose()

    threads = [threading.Thread(target=replica, args=(s,)) for s in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with session_scope(engine) as session:
        deliveries = session.scalars(select(Delivery).order_by(Delivery.channel)).all()
        listed = listed_events(session, [d.id for d in deliveries])
        assert [d.channel for d in deliveries] == ["one", "two"]
        assert [d.group_seq for d in deliveries] == [1, 1]
        for delivery in deliveries:
            assert [e.fingerprint for e in listed[delivery.id].events] == ["A", "B"]
    assert counts == {"A": 2, "B": 0}

    def dispatch() -> None:
        own = create_db_engine(postgres_url)
        senders = build_senders(config, environ={}, chart=lambda message: None)
        replica = Dispatcher(config, own, senders)
        try:
            replica.dispatch_due(NOW)
        finally:
            replica.close()
            own.dispose()

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    bodies = {r.path.rsplit("/", 1)[1]: json.loads(r.body) for r in receiver.requests}
    assert len(receiver.requests) == 2 and sorted(bodies) == ["one", "two"]
    for body in bodies.values():
        assert [a["labels"]["instrument"] for a in body["data"]["alerts"]] == ["A", "B"]
    engine.dispose()
