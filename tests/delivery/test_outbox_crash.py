"""A process killed between queuing and sending loses nothing: the next dispatcher sends it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from sqlalchemy import select

from monitor.delivery.claims import claim_due, new_owner
from monitor.store.database import session_scope, transaction
from monitor.store.models import AlertEvent, Delivery
from tests.delivery.conftest import make_dispatcher, queue_event, webhook_config

CHILD = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from tests.delivery.conftest import queue_event
    from monitor.store.database import create_db_engine

    engine = create_db_engine(sys.argv[1])
    ids = queue_event(engine, datetime.fromisoformat(sys.argv[2]))
    print(ids[0], flush=True)
    os._exit(137)  # killed before any dispatcher ran: no cleanup, no sending
    """
)


def test_delivery_queued_by_a_killed_process_is_sent_later(engine, receiver, clock):
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url, clock.now.isoformat()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 137, child.stderr
    delivery_id = child.stdout.strip()
    with session_scope(engine) as session:
        assert session.scalar(select(Delivery.status).where(Delivery.id == delivery_id)) == (
            "pending"
        )
        assert session.scalar(select(AlertEvent.rule)) == "btc_vs_ndx"

    report = make_dispatcher(webhook_config(receiver.url), engine).dispatch_due(
        clock.advance(seconds=30)
    )

    assert report.statuses == {delivery_id: "sent"}
    assert receiver.accepted_ids == [delivery_id]


def test_dispatcher_killed_while_sending_is_resent_once_its_short_lease_lapses(
    sqlite_engine, receiver, clock
):
    """A claim whose dispatcher died (nobody renews it) is picked up within seconds."""
    [delivery_id] = queue_event(sqlite_engine, clock.now)
    with transaction(sqlite_engine) as connection:
        claimed = claim_due(connection, now=clock.now, limit=10, owner=new_owner())
    assert [c.delivery_id for c in claimed] == [delivery_id]  # ... and then the process died
    dispatcher = make_dispatcher(webhook_config(receiver.url), sqlite_engine)

    assert dispatcher.dispatch_due(clock.advance(seconds=5)).statuses == {}  # still leased
    assert dispatcher.dispatch_due(clock.advance(seconds=16)).statuses == {delivery_id: "sent"}
    assert receiver.accepted_ids == [delivery_id]
