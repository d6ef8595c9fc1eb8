"""Several dispatchers on one database never send the same delivery at once.

PostgreSQL: replicas (``FOR UPDATE SKIP LOCKED``). SQLite: the daemon and a concurrent
``firealarm deliver`` (one conditional UPDATE claims).
"""

from __future__ import annotations

import threading
from collections import Counter

from monitor.store.database import create_db_engine
from monitor.store.migrate import upgrade
from tests.delivery.conftest import make_dispatcher, queue_event, webhook_config
from tests.delivery.receiver import Reply

DELIVERIES = 120
DISPATCHERS = 4


def test_concurrent_dispatchers_send_each_delivery_exactly_once(db_url, receiver, clock):
    setup = create_db_engine(db_url)
    upgrade(setup)
    ids = [i for n in range(DELIVERIES) for i in queue_event(setup, clock.now, rule=f"r{n}")]
    setup.dispose()
    receiver.default = Reply(200, delay=0.01)  # slow enough that claims really overlap
    config = webhook_config(receiver.url)
    start = threading.Barrier(DISPATCHERS)
    sent: list[str] = []
    lock = threading.Lock()

    def replica() -> None:
        engine = create_db_engine(db_url)  # each replica has its own connections
        dispatcher = make_dispatcher(config, engine)
        start.wait()
        while report := dispatcher.dispatch_due(clock.now, limit=7).statuses:
            with lock:
                sent.extend(i for i, status in report.items() if status == "sent")
        dispatcher.close()
        engine.dispose()

    threads = [threading.Thread(target=replica) for _ in range(DISPATCHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(sent) == Counter(ids)
    received = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert set(received) == set(ids)
    assert max(received.values()) == 1  # no delivery was ever posted twice
    assert receiver.bad_signatures == 0
