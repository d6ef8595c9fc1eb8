"""Failures are visible: logs by level, ChannelDisabled to the other channels, the delivery
section of /healthz, `status`, metrics and the dashboard's API, and redeliver --channel."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.api.app import create_app
from monitor.cli import run
from monitor.config import parse_config
from monitor.daemon.health import make_health_check
from monitor.daemon.metrics import DaemonMetrics
from monitor.delivery.notices import CHANNEL_DISABLED
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery
from tests.delivery.conftest import SECRET, SECRET_ENV, make_dispatcher, queue_event
from tests.delivery.receiver import Receiver, Reply


@pytest.fixture
def two_hooks():
    ops, team = Receiver(secret=SECRET), Receiver(secret=SECRET)
    text = f"""
[channels.ops]
type = "webhook"
url = "{ops.url}"
secret_env = "{SECRET_ENV}"

[channels.team]
type = "webhook"
url = "{team.url}"
secret_env = "{SECRET_ENV}"
"""
    yield text, ops, team
    ops.close()
    team.close()


def test_retry_is_a_warning_and_failure_an_error_naming_channel_and_id(
    sqlite_engine, two_hooks, caplog
):
    text, ops, team = two_hooks
    ops.default, team.default = Reply(503), Reply(400)
    [to_ops] = queue_event(sqlite_engine, datetime.now(UTC), channels=("ops",))
    [to_team] = queue_event(sqlite_engine, datetime.now(UTC), rule="r2", channels=("team",))

    with caplog.at_level(logging.INFO, logger="monitor.delivery"):
        make_dispatcher(parse_config(text), sqlite_engine).dispatch_due(datetime.now(UTC))

    levels = {
        (r.levelname, r.delivery_id, r.channel, r.reason)
        for r in caplog.records
        if hasattr(r, "delivery_id")
    }
    assert levels == {
        ("WARNING", to_ops, "ops", "HTTP 503"),
        ("ERROR", to_team, "team", "HTTP 400"),
    }


def test_a_410_is_announced_shown_everywhere_and_undone_by_redeliver_channel(
    tmp_path, sqlite_url, sqlite_engine, two_hooks, monkeypatch, capsys
):
    text, ops, team = two_hooks
    ops.default = Reply(410)
    now = datetime.now(UTC)
    [first] = queue_event(sqlite_engine, now, channels=("ops",))
    text += f'\n[database]\nurl = "{sqlite_url}"\n'
    config = parse_config(text)

    make_dispatcher(config, sqlite_engine).dispatch_due(now)
    [later] = queue_event(sqlite_engine, now, rule="r2", channels=("ops",))
    make_dispatcher(config, sqlite_engine).dispatch_due(datetime.now(UTC))  # fails it: disabled

    [notice] = [json.loads(r.body) for r in team.requests]
    assert notice["data"]["rule"] == CHANNEL_DISABLED and "ops" in notice["data"]["summary"]
    with session_scope(sqlite_engine) as session:
        assert session.scalar(select(Delivery.status).where(Delivery.id == later)) == "failed"
        assert session.scalar(select(AlertEvent.rule).where(AlertEvent.rule == CHANNEL_DISABLED))

    runtime = Runtime(config, sqlite_engine)
    metrics = DaemonMetrics()
    metrics.watch_database(sqlite_engine)
    health = make_health_check(
        sqlite_engine,
        scheduler_running=lambda: True,
        is_leader=lambda: True,
        channels=["ops", "team"],
    )
    app = create_app(runtime, health_check=health, routers=[metrics.router()])
    client = TestClient(app, base_url="http://127.0.0.1")
    body = client.get("/healthz")
    assert body.status_code == 200  # team still delivers
    delivery = body.json()["checks"]["delivery"]
    assert [c["channel"] for c in delivery["disabled_channels"]] == ["ops"]
    assert delivery["failed"] == 2 and delivery["deliverable"] is True
    assert client.get("/api/deliveries/health").json()["disabled_channels"][0]["channel"] == "ops"
    assert 'firealarm_channel_disabled{channel="ops"} 1.0' in client.get("/metrics").text

    config_file = tmp_path / "firealarm.toml"
    config_file.write_text(text)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    args = ["--config", str(config_file), "--db", sqlite_url]
    assert run([*args, "status"]) == 0
    assert "channel ops disabled" in capsys.readouterr().out

    ops.default = Reply(200)
    assert run([*args, "redeliver", "--channel", "ops"]) == 0
    assert "channel ops enabled; 2 replayed: 2 sent" in capsys.readouterr().err
    assert sorted(ops.accepted_ids) == sorted([first, later])
    assert client.get("/api/deliveries/health").json()["disabled_channels"] == []


def test_healthz_fails_only_when_no_channel_can_deliver(sqlite_url, sqlite_engine, two_hooks):
    text, ops, team = two_hooks
    ops.default = team.default = Reply(410)
    queue_event(sqlite_engine, datetime.now(UTC), channels=("ops", "team"))
    config = parse_config(text + f'\n[database]\nurl = "{sqlite_url}"\n')
    make_dispatcher(config, sqlite_engine).dispatch_due(datetime.now(UTC))

    health = make_health_check(
        sqlite_engine,
        scheduler_running=lambda: True,
        is_leader=lambda: True,
        channels=["ops", "team"],
    )
    app = create_app(Runtime(config, sqlite_engine), health_check=health)
    client = TestClient(app, base_url="http://127.0.0.1")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["delivery"]["deliverable"] is False
