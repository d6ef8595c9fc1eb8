"""The delivery commands end to end: deliver, deliveries, redeliver, notify-test."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.cli import run
from monitor.store.database import create_db_engine
from monitor.store.migrate import upgrade
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
    assert "only failed or dead ones replay" in capsys.readouterr().err
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
