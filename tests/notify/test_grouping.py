"""Grouping: alerts of one group changing together are one notification per channel."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from monitor.rules.stale import watched_instruments
from monitor.store.database import session_scope
from monitor.store.models import Delivery
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


def test_fourteen_stale_instruments_are_one_notification_per_channel(
    db_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    rt = runtime_for(channels_config(db_url, receiver, smtp))
    symbols = [i.symbol for i in watched_instruments(rt.config)]
    assert len(symbols) == 14
    observe(rt, symbols, START)
    report = evaluate(rt, START + timedelta(days=150))  # past every staleness limit
    assert (report.events, report.deliveries) == (14, 3)

    sent = dispatcher(rt, smtp).dispatch_due(NOW)
    assert sent.counts["sent"] == 3
    bodies = {r.path.rsplit("/", 1)[1]: json.loads(r.body) for r in receiver.requests}
    assert sorted(bodies) == ["am", "native"]
    native = bodies["native"]
    assert native["type"] == "alert.firing"
    assert sorted(a["labels"]["instrument"] for a in native["data"]["alerts"]) == sorted(symbols)
    assert native["data"]["group_labels"] == {"alertname": "DataStale"}
    am = bodies["am"]
    assert len(am["alerts"]) == 14 and am["status"] == "firing"
    assert am["groupLabels"] == {"alertname": "DataStale"}
    assert am["groupKey"] == '{}:{alertname="DataStale"}'
    assert am["commonLabels"] == {"alertname": "DataStale", "severity": "warning"}
    assert am["truncatedAlerts"] == 0
    [email] = smtp.mailbox.messages
    assert "DataStale (14 alerts)" in email["Subject"]
    text = email.get_body(("plain",)).get_content()
    assert all(f"No new {symbol} data" in text for symbol in symbols)
    rt.engine.dispose()


def test_alerts_changing_within_group_wait_join_one_notification(
    sqlite_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    config = channels_config(sqlite_url, receiver, smtp)
    alerts = config.alerts.model_copy(update={"group_wait": timedelta(minutes=10)})
    rt = runtime_for(config.model_copy(update={"alerts": alerts}))
    fresh_except(rt, ["BTC-USD", "GLD", "^NDX"])
    observe(rt, ["BTC-USD"], START + timedelta(days=30))
    observe(rt, ["GLD"], START + timedelta(days=25))
    observe(rt, ["^NDX"], START + timedelta(days=30))
    first = evaluate(rt, START + timedelta(days=31), NOW)  # GLD goes stale
    second = evaluate(rt, START + timedelta(days=36), NOW + timedelta(minutes=5))  # BTC, ^NDX
    assert (first.deliveries, second.deliveries) == (3, 0)  # the second joined the first

    nothing = dispatcher(rt, smtp).dispatch_due(NOW + timedelta(minutes=9))
    assert nothing.statuses == {}  # group_wait runs from the group's first alert
    dispatcher(rt, smtp).dispatch_due(NOW + timedelta(minutes=10))
    native = next(json.loads(r.body) for r in receiver.requests if r.path.endswith("/native"))
    listed = sorted(a["labels"]["instrument"] for a in native["data"]["alerts"])
    assert listed == ["BTC-USD", "GLD", "^NDX"]

    # A change after the notification went out waits for group_interval (5m), and lists the
    # group's alerts still firing beside the one that changed.
    back = START + timedelta(days=37)
    observe(rt, ["GLD"], back, first=START + timedelta(days=26))  # GLD returns
    third = evaluate(rt, back, NOW + timedelta(minutes=11))
    assert third.deliveries == 3
    with session_scope(rt.engine) as session:
        due = session.scalars(
            select(Delivery.next_attempt_at).where(Delivery.status == "pending")
        ).all()
        assert set(due) == {NOW + timedelta(minutes=15)}
        assert session.scalar(select(func.count()).select_from(Delivery)) == 6
    rt.engine.dispose()
