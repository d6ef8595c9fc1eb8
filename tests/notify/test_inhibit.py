"""Inhibition: while a source alert fires, matching targets' notifications are suppressed."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.config import InhibitRule, default_config_text, parse_config
from monitor.errors import ConfigError
from monitor.notify.inhibit import Source, inhibiting, inhibitors
from monitor.notify.queue import Notice, queue_notifications, rule_labels
from monitor.notify.suppress import REASON_WIDTH
from monitor.rules.engine import rule_fingerprint
from monitor.rules.stale import feeding, stale_rule
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
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

EXAMPLE_KEYS = ("[[inhibit_rules]]", "source_", "target_matchers", "repeats_only")


def with_example() -> str:
    """The packaged config with its commented inhibition example switched on."""
    lines = default_config_text().splitlines()
    return "\n".join(
        line[2:] if line.startswith("# ") and line[2:].startswith(EXAMPLE_KEYS) else line
        for line in lines
    ).replace("default_channels = []", 'default_channels = ["ops"]') + (
        '\n[channels.ops]\ntype = "webhook"\nurl = "http://127.0.0.1:9/ops"\n'
    )


def test_the_shipped_example_parses() -> None:
    config = parse_config(with_example())
    assert [r.source_matchers for r in config.inhibit_rules] == [
        ['alertname="fire_alarm_stage"'],
        ['alertname="DataStale"'],
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("source_matchers = ['alertname']", "bad matcher 'alertname'"),
        ("source_matchers = ['a=~(']\ntarget_matchers = ['b=c']", "bad regex in matcher 'a=~('"),
    ],
)
def test_bad_inhibit_rules_are_config_errors(rule: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        parse_config(f"[[inhibit_rules]]\n{rule}\n")
    assert "\n" not in str(caught.value)


def test_equal_labels_and_self():
    rule = InhibitRule(
        source_matchers=["severity=critical"], target_matchers=["severity=warning"], equal=["team"]
    )
    rules = inhibitors([rule])
    source = Source("s", {"alertname": "big", "severity": "critical", "team": "macro"})
    target = {"alertname": "small", "severity": "warning", "team": "macro"}
    args = {"inputs": (), "repeat": False}
    assert inhibiting(rules, [source], fingerprint="t", labels=target, **args) == "big"
    other_team = {**target, "team": "credit"}
    assert inhibiting(rules, [source], fingerprint="t", labels=other_team, **args) is None
    assert inhibiting(rules, [source], fingerprint="s", labels=target, **args) is None


def test_the_example_inhibits_repeats_of_rules_fed_by_a_stale_instrument(sqlite_url: str) -> None:
    config = parse_config(with_example())
    rules = inhibitors(config.inhibit_rules)
    stale = {
        symbol: Source(symbol, rule_labels(stale_rule(config.instrument(symbol))))
        for symbol in ("BTC-USD", "GLD")
    }
    [btc] = [r for r in config.rules if r.name == "btc_vs_ndx"]
    [stage] = [r for r in config.rules if r.name == "fire_alarm_stage"]
    inputs = feeding(config, [btc.signal])

    def check(sources, repeat, rule=btc):
        return inhibiting(
            rules, sources, fingerprint=rule.name, labels=rule_labels(rule), inputs=inputs,
            repeat=repeat,
        )  # fmt: skip

    assert check([stale["BTC-USD"]], repeat=True) == "DataStale"
    assert check([stale["BTC-USD"]], repeat=False) is None  # a first firing is news
    assert check([stale["GLD"]], repeat=True) is None  # GLD does not feed btc_vs_ndx
    stage_source = Source("stage", rule_labels(stage))
    assert check([stage_source], repeat=True) == "fire_alarm_stage"  # btc_vs_ndx is stage 1
    assert check([stage_source], repeat=True, rule=stage) is None  # not itself


def _queue_while_firing(engine, config, target, source, *, repeat: bool) -> int:
    """Store a firing (or repeat) of ``target`` and queue its notification while ``source``
    fires too; how many deliveries were queued."""
    with session_scope(engine) as session:
        event = AlertEvent(
            rule=target.name, fingerprint=rule_fingerprint(target), state="firing",
            reason="repeat due" if repeat else "crossed", date=START, signal=target.signal,
            value=-30.0, threshold=target.threshold, severity=target.severity,
            labels=json.dumps(target.labels), summary="s", recorded_at=NOW,
        )  # fmt: skip
        session.add(event)
        session.flush()
        notice = Notice(event.id, event.fingerprint, target, repeat=repeat, active_since=START)
        firing = {rule_fingerprint(source): source, event.fingerprint: target}
        return queue_notifications(session, config, [notice], firing, NOW, {})


def test_an_inhibited_repeat_is_recorded_and_not_queued(sqlite_url: str) -> None:
    config = parse_config(with_example())
    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    [btc] = [r for r in config.rules if r.name == "btc_vs_ndx"]
    source = stale_rule(config.instrument("^NDX"), config.alerts.data_stale_group_by)
    assert _queue_while_firing(engine, config, btc, source, repeat=True) == 0
    with session_scope(engine) as session:
        assert session.scalar(select(AlertEvent.suppressed)) == "inhibited by DataStale"
        assert session.scalars(select(Delivery)).all() == []
    engine.dispose()


GLD_QUIETS_BTC = """
[[inhibit_rules]]
source_matchers = ["instrument=GLD"]
target_matchers = ["instrument=BTC-USD"]
repeats_only = true
"""


@pytest.mark.parametrize("group_by", ['["..."]', '["alertname"]'])
def test_an_inhibited_repeat_reaches_no_receiver(
    sqlite_url: str, receiver: Receiver, smtp: SmtpServer, group_by: str
) -> None:
    """End to end on loopback receivers: a week on, both stale alerts repeat; BTC-USD's repeat
    is inhibited while GLD fires, so only GLD's is sent (and a group's repeat lists only GLD)."""
    config = channels_config(
        sqlite_url, receiver, smtp, extra=GLD_QUIETS_BTC, alerts=f"data_stale_group_by = {group_by}"
    )
    rt = runtime_for(config)
    send = dispatcher(rt, smtp)
    fresh_except(rt, ["GLD", "BTC-USD"])
    observe(rt, ["GLD", "BTC-USD"], START + timedelta(days=25))
    evaluate(rt, START + timedelta(days=31))
    send.dispatch_due(NOW)
    first = sorted(_native_instruments(receiver))
    assert first == ([["BTC-USD"], ["GLD"]] if group_by == '["..."]' else [["BTC-USD", "GLD"]])
    week = NOW + timedelta(days=7)
    evaluate(rt, START + timedelta(days=38), week)
    send.dispatch_due(week)
    assert _native_instruments(receiver)[len(first) :] == [["GLD"]]
    with session_scope(rt.engine) as session:
        notes = session.execute(
            select(AlertEvent.labels, AlertEvent.suppressed).where(
                AlertEvent.reason == "repeat due"
            )
        ).all()
    assert sorted(notes) == [
        ('{"instrument": "BTC-USD"}', "inhibited by DataStale"),
        ('{"instrument": "GLD"}', None),
    ]
    rt.engine.dispose()


def _native_instruments(receiver: Receiver) -> list[list[str]]:
    bodies = [json.loads(r.body) for r in receiver.requests if r.path.endswith("/native")]
    return [sorted(a["labels"]["instrument"] for a in b["data"]["alerts"]) for b in bodies]


def test_an_inhibitor_with_the_longest_rule_name_is_recorded(db_url: str) -> None:
    """A rule name may be as long as ``alert_events.rule`` (128): the reason naming it as the
    inhibitor is cut to its column, where PostgreSQL refused it whole."""
    long_name = "x" * 128
    config = parse_config(
        default_config_text()
        + f'\n[[rules]]\nname = "{long_name}"\nsignal = "btc_vs_gold"\nop = "<"\nthreshold = -20\n'
        + f"\n[[inhibit_rules]]\nsource_matchers = ['alertname=\"{long_name}\"']\n"
        + "target_matchers = ['alertname=\"btc_vs_ndx\"']\n"
    )
    [btc] = [r for r in config.rules if r.name == "btc_vs_ndx"]
    [source] = [r for r in config.rules if r.name == long_name]
    engine = create_db_engine(db_url)
    upgrade(engine)
    assert _queue_while_firing(engine, config, btc, source, repeat=False) == 0
    with session_scope(engine) as session:
        reason = session.scalar(select(AlertEvent.suppressed))
    engine.dispose()
    assert reason is not None and reason.startswith("inhibited by xxx")
    assert len(reason) == REASON_WIDTH == AlertEvent.__table__.c.suppressed.type.length
