"""DataStale: fires when an input stops updating, resolves when it returns; rules keep state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from monitor.config import parse_config
from monitor.delivery.members import listed_events
from monitor.queries.alerts import alert_events, open_alerts
from monitor.rules.stale import watched_instruments
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope
from monitor.store.models import Delivery, Observation
from tests.rules.conftest import NOW, evaluate, put_values
from tests.rules.helpers import CONFIG, START, daily


@pytest.fixture
def small(db_url: str) -> Iterator[Runtime]:
    """The small config on a migrated database with no observation: each test adds its own."""
    rt = open_runtime(None, db_url)
    yield Runtime(parse_config(CONFIG, database_url=db_url), rt.engine)
    rt.close()


def day(n: int):
    return START + timedelta(days=n)


def observe(rt: Runtime, symbol: str, first: int, last: int) -> None:
    with session_scope(rt.engine) as session:
        session.add_all(
            Observation(
                symbol=symbol,
                date=day(n),
                available_date=day(n),
                close=100.0 + n,
                source="yahoo",
                fetched_at=NOW,
            )
            for n in range(first, last + 1)
        )


def stale_events(rt: Runtime) -> list[tuple]:
    with session_scope(rt.engine) as session:
        return [
            (e["labels"]["instrument"], e["state"], e["date"], e["value"], e["summary"])
            for e in alert_events(session)
            if e["rule"] == "DataStale"
        ]


def test_stale_input_fires_and_resolves_while_the_rule_keeps_firing(small: Runtime) -> None:
    observe(small, "BTC-USD", 0, 9)
    observe(small, "GLD", 0, 9)
    put_values(small, "btc_drawdown", daily([-45] * 10))
    evaluate(small, day(9))
    assert stale_events(small) == []

    evaluate(small, day(20))  # eleven days without any new data
    assert stale_events(small) == [
        ("BTC-USD", "firing", day(20), 11.0, "No new BTC-USD data for 11 days (limit 5)"),
        ("GLD", "firing", day(20), 11.0, "No new GLD data for 11 days (limit 5)"),
    ]
    with session_scope(small.engine) as session:
        open_rules = sorted(a["rule"] for a in open_alerts(session, now=NOW))
        resolved = [e for e in alert_events(session) if e["state"] == "resolved"]
    assert open_rules == ["DataStale", "DataStale", "deep"]  # no silent resolve
    assert resolved == []

    observe(small, "BTC-USD", 10, 21)
    evaluate(small, day(21))
    assert stale_events(small)[-1][:3] == ("BTC-USD", "resolved", day(21))
    with session_scope(small.engine) as session:
        still = [a["labels"] for a in open_alerts(session, now=NOW) if a["rule"] == "DataStale"]
    assert still == [{"instrument": "GLD"}]


def test_data_stale_notifies_the_default_channels(small: Runtime) -> None:
    observe(small, "GLD", 0, 0)
    observe(small, "BTC-USD", 0, 30)
    report = evaluate(small, day(30))
    assert report.events == 1 and report.deliveries == 1


def test_an_instrument_never_fetched_is_stale_until_its_data_arrives(small: Runtime) -> None:
    observe(small, "GLD", 0, 30)
    evaluate(small, day(30))
    backfill = date.fromisoformat(small.config.fetch.backfill_start)
    age = float((day(30) - backfill).days)
    summary = "No BTC-USD data at all: never fetched (limit 5 days)"
    assert stale_events(small) == [("BTC-USD", "firing", day(30), age, summary)]

    observe(small, "BTC-USD", 28, 31)  # the first fetch lands: the same alert resolves
    evaluate(small, day(31))
    assert [e[:3] for e in stale_events(small)] == [
        ("BTC-USD", "firing", day(30)),
        ("BTC-USD", "resolved", day(31)),
    ]


def test_only_instruments_feeding_a_rule_are_watched(small: Runtime) -> None:
    config = small.config.model_copy(
        update={"rules": [r for r in small.config.rules if r.name == "deep"]}
    )
    assert [i.symbol for i in watched_instruments(config)] == ["BTC-USD"]


def test_data_returning_on_the_day_it_was_found_stale_resolves_that_day(small: Runtime) -> None:
    observe(small, "BTC-USD", 0, 9)
    observe(small, "GLD", 0, 20)
    put_values(small, "btc_drawdown", daily([-45] * 10))
    evaluate(small, day(20))
    assert [e[:3] for e in stale_events(small)] == [("BTC-USD", "firing", day(20))]

    evaluate(small, day(20))  # judged again on the same date, data still missing: nothing new
    assert len(stale_events(small)) == 1
    observe(small, "BTC-USD", 10, 20)  # a retried fetch brings the data later that day
    report = evaluate(small, day(20))
    assert [e[:3] for e in stale_events(small)] == [
        ("BTC-USD", "firing", day(20)),
        ("BTC-USD", "resolved", day(20)),
    ]
    # The resolution joins the firing notification still queued in the group: it is sent once,
    # as resolved.
    assert report.deliveries == 0
    with session_scope(small.engine) as session:
        [delivery] = session.scalars(select(Delivery)).all()
        [listed] = listed_events(session, [delivery.id])[delivery.id].events
        assert listed.state == "resolved"
    evaluate(small, day(20))
    assert len(stale_events(small)) == 2
    with session_scope(small.engine) as session:
        assert [a for a in open_alerts(session, now=NOW) if a["rule"] == "DataStale"] == []
