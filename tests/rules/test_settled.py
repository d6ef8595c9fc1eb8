"""Rules judge a date only once no input can still deliver a bar for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from monitor.availability import settled_through
from monitor.config import Instrument, parse_config
from monitor.evaluation import evaluate
from monitor.queries.alerts import alert_events
from monitor.rules.backtest import backtest
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import Observation
from tests.signals.helpers import stored_values

CONFIG = """
[[instruments]]
symbol = "BTC-USD"
source = "yahoo"
calendar = "crypto"

[[instruments]]
symbol = "QQQ"
source = "yahoo"

[[signals]]
id = "btc_per_qqq"
kind = "ratio"
inputs = ["BTC-USD", "QQQ"]

[[rules]]
name = "btc_rich"
signal = "btc_per_qqq"
op = ">"
threshold = 1.5
"""
MONDAY = date(2024, 1, 8)


def _observe(rt: Runtime, symbol: str, day: date, close: float) -> None:
    with session_scope(rt.engine) as session:
        session.merge(
            Observation(
                symbol=symbol,
                date=day,
                available_date=day,
                close=close,
                source="yahoo",
                fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)


def test_a_rule_waits_for_the_bitcoin_bar_of_a_day_the_equities_closed(
    db_url: str, engine: Engine
) -> None:
    rt = Runtime(parse_config(CONFIG, database_url=db_url), engine)
    for n in range(5):  # Monday to Friday of the week before, both inputs at 1.0
        _observe(rt, "BTC-USD", MONDAY - timedelta(days=7 - n), 100.0)
        _observe(rt, "QQQ", MONDAY - timedelta(days=7 - n), 100.0)
    for n in (5, 6):  # the weekend: Bitcoin only
        _observe(rt, "BTC-USD", MONDAY - timedelta(days=7 - n), 100.0)
    evaluate(rt, now=_at(MONDAY, 12))

    # Monday 21:30 UTC: QQQ's Monday bar is in, Bitcoin's closes at midnight UTC.
    _observe(rt, "QQQ", MONDAY, 100.0)
    evaluate(rt, now=_at(MONDAY, 21))
    with session_scope(engine) as session:
        assert alert_events(session) == []  # Monday is not judged with Sunday's Bitcoin

    # 00:05 UTC Tuesday: Bitcoin's Monday bar has doubled; Monday is now final and fires.
    _observe(rt, "BTC-USD", MONDAY, 200.0)
    evaluate(rt, now=_at(MONDAY + timedelta(days=1), 0))
    with session_scope(engine) as session:
        live = [(e["rule"], e["state"], e["date"]) for e in alert_events(session)]
        replayed = [(e["rule"], e["state"], e["date"]) for e in backtest(session, rt.config)]
    assert live == [("btc_rich", "firing", MONDAY)]
    assert live == replayed


def test_settled_through_by_calendar_and_period() -> None:
    friday = date(2024, 1, 5)
    equity = Instrument(symbol="QQQ", source="yahoo")
    crypto = Instrument(symbol="BTC-USD", source="yahoo", calendar="crypto")
    weekly = Instrument(symbol="WALCL", source="fred", period="week", release_lag=1)
    quarterly = Instrument(symbol="DRCCLACBS", source="fred", period="quarter", release_lag=60)
    assert settled_through(equity, friday) == date(2024, 1, 7)  # Monday's bar is next
    assert settled_through(crypto, friday) == friday  # Saturday's bar is next
    # H.4.1 of Wednesday 3 Jan is out Thursday 4; the next one on Thursday 11.
    assert settled_through(weekly, date(2024, 1, 3)) == date(2024, 1, 10)
    # Q4 2023 (dated 1 Oct) is out 60 days after 31 Dec; Q1 2024 60 days after 31 March.
    assert settled_through(quarterly, date(2023, 10, 1)) == date(2024, 5, 29)


STAGED = (
    CONFIG
    + """
[[instruments]]
symbol = "IGV"
source = "yahoo"

[[signals]]
id = "igv_per_qqq"
kind = "ratio"
inputs = ["IGV", "QQQ"]

[stage]
names = ["software", "bitcoin"]
stages = [["igv_cheap"], ["btc_rich"]]

[[rules]]
name = "igv_cheap"
signal = "igv_per_qqq"
op = "<"
threshold = 0.5

[[rules]]
name = "alarm"
signal = "fire_alarm_stage"
op = ">="
threshold = 2.0
"""
)


def test_the_stage_of_a_day_waits_for_every_staged_rule_to_judge_it(
    db_url: str, engine: Engine
) -> None:
    rt = Runtime(parse_config(STAGED, database_url=db_url), engine)
    for n in range(7):  # the week before: everything at 1.0; Bitcoin on the weekend too
        day = MONDAY - timedelta(days=7 - n)
        _observe(rt, "BTC-USD", day, 100.0)
        if day.weekday() < 5:
            _observe(rt, "QQQ", day, 100.0)
            _observe(rt, "IGV", day, 100.0)
    evaluate(rt, now=_at(MONDAY, 12))

    _observe(rt, "QQQ", MONDAY, 100.0)  # Monday's US close is in; Bitcoin's bar is not
    _observe(rt, "IGV", MONDAY, 100.0)
    evaluate(rt, now=_at(MONDAY, 21))
    assert max(d for s, d in stored_values(rt) if s == "fire_alarm_stage") < MONDAY

    _observe(rt, "BTC-USD", MONDAY, 200.0)  # 00:05 UTC: Bitcoin's Monday doubled
    evaluate(rt, now=_at(MONDAY + timedelta(days=1), 0))
    with session_scope(engine) as session:
        live = [(e["rule"], e["state"], e["date"]) for e in alert_events(session)]
        replayed = [(e["rule"], e["state"], e["date"]) for e in backtest(session, rt.config)]
    assert sorted(live) == [("alarm", "firing", MONDAY), ("btc_rich", "firing", MONDAY)]
    assert sorted(live) == sorted(replayed)
    assert stored_values(rt)[("fire_alarm_stage", MONDAY)] == 2.0
