"""Acknowledgement: an ack stops the repeats of one firing; the resolution is still sent."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.errors import ConfigError
from monitor.notify.acks import acknowledge, current_acks
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery
from tests.delivery.receiver import Receiver
from tests.delivery.smtp_server import SmtpServer
from tests.notify.conftest import (
    NOW,
    START,
    channels_config,
    dispatcher,
    evaluate,
    fresh_except,
    observe,
    runtime_for,
)

DAY = timedelta(days=1)


def test_an_ack_stops_repeats_and_the_resolution_is_still_sent(
    db_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    rt = runtime_for(channels_config(db_url, receiver, smtp))
    send = dispatcher(rt, smtp)
    fresh_except(rt, ["GLD", "BTC-USD"])
    observe(rt, ["GLD", "BTC-USD"], START + 25 * DAY)
    assert evaluate(rt, START + 31 * DAY).deliveries == 3  # both stale: one group notification
    assert send.dispatch_due(NOW).counts["sent"] == 3
    refused = "no firing alert of rule 'DataStale' instrument=XLP"
    with pytest.raises(ConfigError, match=refused), session_scope(rt.engine) as session:
        acknowledge(session, "DataStale", {"instrument": "XLP"}, comment="c", author="a", now=NOW)
    with session_scope(rt.engine) as session:
        [acked] = acknowledge(
            session, "DataStale", {"instrument": "GLD"}, comment="on it", author="me", now=NOW
        )
    with session_scope(rt.engine) as session:
        assert current_acks(session)[acked]["comment"] == "on it"

    # A week later both repeat: BTC-USD's repeat is sent, GLD's is not.
    assert evaluate(rt, START + 38 * DAY, NOW + 7 * DAY).deliveries == 3
    assert send.dispatch_due(NOW + 7 * DAY).counts["sent"] == 3
    *_, repeat = [json.loads(r.body) for r in receiver.requests if r.path.endswith("/native")]
    assert [a["labels"]["instrument"] for a in repeat["data"]["alerts"]] == ["BTC-USD"]
    with session_scope(rt.engine) as session:
        repeats = session.execute(
            select(AlertEvent.labels, AlertEvent.suppressed).where(
                AlertEvent.reason == "repeat due"
            )
        ).all()
        assert sorted(repeats) == [
            ('{"instrument": "BTC-USD"}', None),
            ('{"instrument": "GLD"}', "acknowledged"),
        ]

    observe(rt, ["GLD"], START + 39 * DAY, first=START + 26 * DAY)
    assert evaluate(rt, START + 39 * DAY, NOW + 8 * DAY).deliveries == 3  # GLD resolved
    assert send.dispatch_due(NOW + 8 * DAY).counts["sent"] == 3
    with session_scope(rt.engine) as session:
        assert acked not in current_acks(session)
        last = session.scalars(select(Delivery).order_by(Delivery.created_at.desc())).first()
        event = session.get_one(AlertEvent, last.event_id)
        assert (event.state, event.suppressed) == ("resolved", None)

    # Stale again: a new firing, which the old ack does not cover.
    assert evaluate(rt, START + 46 * DAY, NOW + 15 * DAY).deliveries == 3
    rt.engine.dispose()
