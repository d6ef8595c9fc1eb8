"""The delivery commands end to end: deliver, deliveries, redeliver, notify-test."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.cli import run
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import AlertEvent, Delivery
from tests.delivery.conftest import SECRET, SECRET_ENV, queue_event
from tests.delivery.receiver import Receiver, Reply


@pytest.fixture
def setup(tmp_path, sqlite_url, monkeypatch):
    receiver = Receiver(secret=SECRET)
    config = tmp_path / "firealarm.toml"
    config.write_text(
        f"""
[alerts]
default_channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{receiver.url}"
secret_env = "{SECRET_ENV}"
"""
    )
    monkeypatch.setenv(SECRET_ENV, SECRET)
    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    yield ["--config", str(config), "--db", sqlite_url], engine, receiver
    engine.dispose()
    receiver.close()


def test_deliver_then_list_as_json(setup, capsys):
    args, engine, receiver = setup
    [delivery_id] = queue_event(engine, datetime.now(UTC))

    assert run([*args, "deliver"]) == 0
    assert "1 sent" in capsys.readouterr().err
    assert run([*args, "deliveries", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)

    assert receiver.accepted_ids == [delivery_id]
    assert [(r["id"], r["status"], r["attempts"], r["rule"]) for r in rows] == [
        (delivery_id, "sent", 1, "btc_vs_ndx")
    ]


@pytest.mark.parametrize(
    ("replies", "age", "code", "summary"),
    [
        ([200, 200], timedelta(0), 0, "2 sent, 0 pending retry, 0 failed, 0 dead"),
        ([200, 503], timedelta(0), 0, "1 sent, 1 pending retry, 0 failed, 0 dead"),
        ([200, 422], timedelta(0), 1, "1 sent, 0 pending retry, 1 failed, 0 dead"),
        ([503, 503], timedelta(days=4), 1, "0 sent, 0 pending retry, 0 failed, 2 dead"),
    ],
    ids=["all-sent", "retry-scheduled", "one-failed", "dead"],
)
def test_deliver_exits_1_when_a_delivery_failed_or_went_dead(
    setup, capsys, replies, age, code, summary
):
    args, engine, receiver = setup
    queued_at = datetime.now(UTC) - age
    for rule in ("a", "b"):
        queue_event(engine, queued_at, rule=rule)
    receiver.script.extend(Reply(status) for status in replies)

    assert run([*args, "deliver"]) == code
    assert capsys.readouterr().err.strip() == summary


def test_dead_listing_and_redeliver(setup, capsys):
    args, engine, receiver = setup
    [delivery_id] = queue_event(engine, datetime.now(UTC))
    receiver.script.append(Reply(422))
    assert run([*args, "deliver"]) == 1
    capsys.readouterr()

    assert run([*args, "deliveries", "--status", "failed", "--format", "csv"]) == 0
    assert delivery_id in capsys.readouterr().out
    assert run([*args, "deliveries", "--dead", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert run([*args, "redeliver", delivery_id]) == 0
    assert f"{delivery_id}: sent" in capsys.readouterr().err
    assert receiver.accepted_ids == [delivery_id]
    assert run([*args, "redeliver", delivery_id]) == 1  # already sent
    assert "only failed, dead or superseded ones replay" in capsys.readouterr().err
    assert run([*args, "redeliver", "msg_nope"]) == 2  # bad usage: no such delivery
    assert capsys.readouterr().err == (
        "error: no delivery with id 'msg_nope' (see `firealarm deliveries`)\n"
    )


def test_notify_test_reports_and_sets_exit_status(setup, capsys):
    args, _, receiver = setup
    assert run([*args, "notify-test", "hook"]) == 0
    assert "hook: sent 200" in capsys.readouterr().err
    assert json.loads(receiver.requests[0].body)["type"] == "alert.test"
    assert receiver.requests[0].signature_ok is True

    receiver.script.append(Reply(500))
    assert run([*args, "notify-test", "hook"]) == 1
    assert "HTTP 500" in capsys.readouterr().err

    assert run([*args, "notify-test", "nope"]) == 2
    assert "unknown channel 'nope' (channels: hook)" in capsys.readouterr().err


@pytest.fixture
def am_setup(setup, tmp_path):
    """``setup`` plus a channel ``am`` in Alertmanager's format on the same receiver."""
    args, engine, receiver = setup
    config = tmp_path / "firealarm.toml"
    config.write_text(
        config.read_text()
        + f'\n[channels.am]\ntype = "webhook"\nurl = "{receiver.url}"\n'
        + f'format = "alertmanager"\nsecret_env = "{SECRET_ENV}"\n'
    )
    return args, engine, receiver


def test_notify_test_in_alertmanager_format_fires_then_resolves(am_setup, capsys):
    args, _, receiver = am_setup
    assert run([*args, "notify-test", "am", "--resolve-after", "0.2"]) == 0
    err = capsys.readouterr().err
    assert "am: sent 200" in err and "am: resolve sent 200" in err

    firing, resolved = (json.loads(r.body) for r in receiver.requests)
    assert (firing["status"], resolved["status"]) == ("firing", "resolved")
    [first], [last] = firing["alerts"], resolved["alerts"]
    labels = {"alertname": "firealarm_test", "severity": "info", "channel": "am"}
    assert first["labels"] == last["labels"] == labels
    assert first["fingerprint"] == last["fingerprint"]
    assert first["startsAt"] == last["startsAt"] and first["endsAt"] == "0001-01-01T00:00:00Z"
    assert last["endsAt"] >= last["startsAt"]
    assert all(r.signature_ok for r in receiver.requests)
    assert run([*args, "deliveries", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["rule"], r["state"], r["status"]) for r in rows) == [
        ("firealarm_test", "resolved", "sent"),
        ("firealarm_test", "test", "sent"),
    ]


def test_a_test_alert_in_the_native_format_does_not_resolve(setup, capsys):
    args, _, receiver = setup
    assert run([*args, "notify-test", "hook", "--resolve-after", "0"]) == 0
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["alert.test"]


@pytest.mark.parametrize(("status", "resolve"), [(503, "pending"), (422, "failed")])
def test_a_resolve_never_overtakes_its_unsent_test_alert(am_setup, capsys, status, resolve):
    args, engine, receiver = am_setup
    receiver.script.append(Reply(status))
    assert run([*args, "notify-test", "am", "--resolve-after", "30"]) == 1  # no 30 s wait
    err = capsys.readouterr().err
    assert f"HTTP {status}" in err and f"am: resolve {resolve}" in err
    assert len(receiver.requests) == 1
    with session_scope(engine) as session:
        test, held = session.scalars(
            select(Delivery).join(AlertEvent).order_by(AlertEvent.id)
        ).all()
    assert held.status == resolve and held.attempts == 0
    if resolve == "pending":  # the test is retried first, the resolve 30 s after that
        assert held.next_attempt_at == test.next_attempt_at + timedelta(seconds=30)
    else:
        assert held.last_error == f"its test alert {test.id} was not delivered (failed)"
