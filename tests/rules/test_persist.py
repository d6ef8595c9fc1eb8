"""Persisted evaluation: exactly-once events, resumable states, the outbox, the stage."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from monitor.config import AppriseChannel
from monitor.delivery.targets import target_name
from monitor.queries.alerts import alert_events, open_alerts
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery, RuleState, SignalValue
from tests.rules.conftest import NOW, evaluate, put_values
from tests.rules.helpers import START, daily


def events(rt: Runtime) -> list[tuple]:
    with session_scope(rt.engine) as session:
        return [(e["rule"], e["state"], e["date"], e["reason"]) for e in alert_events(session)]


def deliveries(rt: Runtime) -> list[tuple]:
    with session_scope(rt.engine) as session:
        rows = session.execute(select(Delivery.event_id, Delivery.channel, Delivery.status))
        return sorted(rows)


def day(n: int):
    return START + timedelta(days=n)


def test_transitions_are_stored_with_rendered_summary_and_queued(small: Runtime) -> None:
    put_values(small, "btc_drawdown", daily([-10, -45, -46, -47]))
    report = evaluate(small, day(3))
    assert events(small) == [
        ("deep", "pending", day(1), "pending"),
        ("deep", "firing", day(2), "first firing"),
    ]
    with session_scope(small.engine) as session:
        firing = alert_events(session)[1]
    assert firing["summary"] == f"deep: Bitcoin -46.0% below its high on {day(2)}"
    assert firing["value"] == -46.0 and firing["threshold"] == -40.0
    # only the firing notifies, to the default channel; pending does not
    assert [(channel, status) for _, channel, status in deliveries(small)] == [("ops", "pending")]
    assert report.events == 2 and report.deliveries == 1


def test_rerunning_or_losing_the_state_never_duplicates(small: Runtime) -> None:
    put_values(small, "btc_drawdown", daily([-45, -46, -47]))
    evaluate(small, day(2))
    before, sent = events(small), deliveries(small)
    evaluate(small, day(2))
    # a crash after the events but before the states: the unique key still holds
    with session_scope(small.engine) as session:
        session.execute(delete(RuleState))
    report = evaluate(small, day(2))
    assert report.events == 0 and report.deliveries == 0
    assert events(small) == before and deliveries(small) == sent


def test_restarting_does_not_refire_and_repeats_at_the_interval(small: Runtime) -> None:
    values = daily([-45] * 12)
    put_values(small, "btc_drawdown", values[:5])
    evaluate(small, day(4))
    put_values(small, "btc_drawdown", values)
    evaluate(small, day(11))
    firing = [(state, d, reason) for rule, state, d, reason in events(small) if state == "firing"]
    assert firing == [("firing", day(1), "first firing"), ("firing", day(8), "repeat due")]
    assert len(deliveries(small)) == 2


def test_resolved_notifies_to_the_rule_channels(small: Runtime) -> None:
    config = small.config.model_copy(
        update={
            "rules": [
                r.model_copy(update={"channels": ["team", "ops"]}) if r.name == "deep" else r
                for r in small.config.rules
            ]
        }
    )
    put_values(small, "btc_drawdown", daily([-45, -46, -35, -29]))
    evaluate(small, day(3), config)
    assert [e[1] for e in events(small)] == ["pending", "firing", "resolved"]
    # firing and resolved each go to both channels
    assert [c for _, c, _ in deliveries(small)] == ["ops", "team", "ops", "team"]
    with session_scope(small.engine) as session:
        assert open_alerts(session, now=NOW) == []


def test_send_resolved_false_stores_but_does_not_notify(small: Runtime) -> None:
    config = small.config.model_copy(
        update={
            "rules": [r.model_copy(update={"send_resolved": False}) for r in small.config.rules]
        }
    )
    put_values(small, "btc_drawdown", daily([-45, -46, -29]))
    evaluate(small, day(2), config)
    assert [e[1] for e in events(small)] == ["pending", "firing", "resolved"]
    assert len(deliveries(small)) == 1


def test_stage_is_stored_as_a_signal_and_rules_read_it(small: Runtime) -> None:
    put_values(small, "btc_drawdown", daily([-45, -46, -47, -20]))
    put_values(small, "btc_vs_gold", daily([0, -35, -35, -35]))
    evaluate(small, day(3))
    with session_scope(small.engine) as session:
        stage = session.execute(
            select(SignalValue.date, SignalValue.value)
            .where(SignalValue.signal == "fire_alarm_stage")
            .order_by(SignalValue.date)
        ).all()
    assert [v for _, v in stage] == [0.0, 2.0, 2.0, 2.0]
    assert ("stage", "firing", day(1), "first firing") in events(small)
    with session_scope(small.engine) as session:
        open_rules = {a["rule"]: a["state"] for a in open_alerts(session, now=NOW)}
    assert open_rules == {"gold_wins": "firing", "stage": "firing"}


def test_labels_are_stored_as_json_and_shape_the_fingerprint(small: Runtime) -> None:
    put_values(small, "btc_vs_gold", daily([-35]))
    evaluate(small, day(0))
    with session_scope(small.engine) as session:
        (event,) = [e for e in alert_events(session) if e["rule"] == "gold_wins"]
        count = session.scalar(
            select(func.count()).select_from(RuleState).where(RuleState.rule != "DataStale")
        )
    assert event["labels"] == {"team": "macro"}
    assert len(event["fingerprint"]) == 64
    assert count == 2  # gold_wins and the stage rule; "deep" has no value yet, so no state


def test_history_older_than_the_repeat_interval_is_stored_but_not_sent(small: Runtime) -> None:
    # One evaluation over 40 dates (as after a backfill): deep fires on day 1, resolves on
    # day 20 and fires again on day 36; only the transitions within 7 days of day 39 are sent.
    put_values(small, "btc_drawdown", daily([-45] * 20 + [-10] * 15 + [-45] * 5))
    evaluate(small, day(39))
    with session_scope(small.engine) as session:
        sent = session.execute(
            select(AlertEvent.state, AlertEvent.date, AlertEvent.reason)
            .join(Delivery, Delivery.event_id == AlertEvent.id)
            .order_by(AlertEvent.date)
        ).all()
    assert [e[1] for e in events(small)].count("firing") == 4  # first, 2 repeats, first again
    assert sent == [("firing", day(36), "first firing")]


def test_a_removed_rule_is_no_longer_open_but_its_events_remain(small: Runtime) -> None:
    put_values(small, "btc_drawdown", daily([-45, -46]))
    evaluate(small, day(1))
    config = small.config.model_copy(
        update={"rules": [r for r in small.config.rules if r.name != "deep"]}
    )
    evaluate(small, day(2), config)
    with session_scope(small.engine) as session:
        assert open_alerts(session, now=NOW) == []
    assert [e[:2] for e in events(small)] == [("deep", "pending"), ("deep", "firing")]


def test_an_apprise_channel_queues_one_delivery_per_url(small: Runtime, monkeypatch) -> None:
    urls = "ntfy://127.0.0.1:9/a tgram://123456789:token/42"
    monkeypatch.setenv("FIREALARM_TEST_PHONE", urls)  # read when the event is queued
    phone = AppriseChannel(type="apprise", urls_env="FIREALARM_TEST_PHONE")
    rules = [r.model_copy(update={"channels": ["phone"]}) for r in small.config.rules]
    config = small.config.model_copy(
        update={"channels": {**small.config.channels, "phone": phone}, "rules": rules}
    )
    put_values(small, "btc_drawdown", daily([-45, -46]))
    evaluate(small, day(1), config)
    assert [c for _, c, _ in deliveries(small)] == sorted(
        target_name("phone", url) for url in urls.split()
    )
