"""Alertmanager's ``startsAt`` is the date the alert entered firing, in every message about it.

Real evaluations day by day (first firing, a repeat, the resolve, firing again) queue the
deliveries; the real dispatcher sends them to a loopback Alertmanager receiver.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from monitor.config import parse_config
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery
from tests.delivery.conftest import SECRET_ENV, make_dispatcher
from tests.rules.conftest import NOW, evaluate, put_values
from tests.rules.helpers import CONFIG

D = date(2022, 5, 9)  # the drawdown rule "deep" (for = 2) fires on its second date below -40


def _values() -> list[tuple[date, float]]:
    below, above = -50.0, -20.0
    days = [below] * 12 + [above] + [below] * 4  # fires D, repeats D+7, resolves, fires again
    return [(D - timedelta(days=1) + timedelta(days=n), v) for n, v in enumerate(days)]


def test_repeats_and_resolve_carry_the_date_the_alert_entered_firing(engine, receiver):
    hook = 'url = "http://127.0.0.1:9/hook"'
    channel = f'url = "{receiver.url}"\nformat = "alertmanager"\nsecret_env = "{SECRET_ENV}"'
    config = parse_config(CONFIG.replace(hook, channel))
    rt = Runtime(config, engine)
    values = _values()
    put_values(rt, "btc_drawdown", values)
    for day, _ in values:
        evaluate(rt, day)
    receiver.clock = NOW.timestamp
    report = make_dispatcher(config, engine).dispatch_due(NOW)
    assert set(report.statuses.values()) == {"sent"}

    with session_scope(engine) as session:
        events = dict(
            session.execute(
                select(Delivery.id, AlertEvent.date).join(
                    AlertEvent, AlertEvent.id == Delivery.event_id
                )
            ).all()
        )
    sent = []
    for request in receiver.requests:  # DataStale's group notification lists several alerts
        for alert in json.loads(request.body)["alerts"]:
            if alert["labels"]["alertname"] == "deep":
                day = events[request.headers["webhook-id"]]
                sent.append((day, alert["status"], alert["startsAt"], alert["endsAt"]))
    again = D + timedelta(days=13)
    assert sorted(sent) == [
        (D, "firing", "2022-05-09T00:00:00Z", "0001-01-01T00:00:00Z"),
        (D + timedelta(days=7), "firing", "2022-05-09T00:00:00Z", "0001-01-01T00:00:00Z"),
        (D + timedelta(days=11), "resolved", "2022-05-09T00:00:00Z", "2022-05-20T00:00:00Z"),
        (again, "firing", f"{again.isoformat()}T00:00:00Z", "0001-01-01T00:00:00Z"),
    ]
