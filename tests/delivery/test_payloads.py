"""Body formats: firealarm native, Alertmanager webhook v4, Slack, Discord."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from monitor.delivery.message import AlertMessage
from monitor.delivery.payloads import render_body
from tests.delivery.conftest import probe_message

FIRING = AlertMessage(
    rule="btc_vs_ndx",
    state="firing",
    date=date(2026, 3, 2),
    signal="btc_vs_ndx",
    value=-31.4,
    threshold=-25.0,
    severity="critical",
    summary="Bitcoin trails the Nasdaq-100 by -31.4 pp",
    fingerprint="f00d",
    timestamp=datetime(2026, 3, 2, 22, 5, tzinfo=UTC),
    labels={"stage": "1"},
    event_id=42,
)
RESOLVED = AlertMessage(
    **{
        **FIRING.__dict__,
        "state": "resolved",
        "date": date(2026, 4, 1),
        "starts_at": date(2026, 3, 2),
    }
)
EXTERNAL = "http://127.0.0.1:8787"
V4_FIELDS = {
    "version",
    "groupKey",
    "truncatedAlerts",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
}
V4_ALERT_FIELDS = {
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "fingerprint",
}


def body(fmt: str, message: AlertMessage = FIRING) -> dict:
    return json.loads(render_body(fmt, message, "ops", EXTERNAL))


def test_firealarm_body_is_a_standard_webhooks_event():
    got = body("firealarm")
    assert got["type"] == "alert.firing"
    assert got["timestamp"] == "2026-03-02T22:05:00Z"
    alert = {
        "event_id": 42,
        "rule": "btc_vs_ndx",
        "state": "firing",
        "date": "2026-03-02",
        "signal": "btc_vs_ndx",
        "value": -31.4,
        "threshold": -25.0,
        "severity": "critical",
        "labels": {"stage": "1"},
        "summary": "Bitcoin trails the Nasdaq-100 by -31.4 pp",
        "fingerprint": "f00d",
        "url": "http://127.0.0.1:8787/signals/btc_vs_ndx",
    }
    assert got["data"] == {**alert, "channel": "ops", "alerts": [alert]}
    assert body("firealarm", RESOLVED)["type"] == "alert.resolved"
    assert body("firealarm", probe_message("ops", FIRING.timestamp))["type"] == "alert.test"


def test_alertmanager_body_has_every_v4_field():
    got = body("alertmanager")
    assert set(got) == V4_FIELDS
    assert got["version"] == "4" and got["truncatedAlerts"] == 0
    assert got["status"] == "firing" and got["receiver"] == "ops"
    assert got["externalURL"] == EXTERNAL
    assert got["groupLabels"] == {"alertname": "btc_vs_ndx"}
    assert got["groupKey"] == '{}:{alertname="btc_vs_ndx"}'
    [alert] = got["alerts"]
    assert set(alert) == V4_ALERT_FIELDS
    assert alert["labels"] == {"alertname": "btc_vs_ndx", "severity": "critical", "stage": "1"}
    assert alert["annotations"] == {"summary": "Bitcoin trails the Nasdaq-100 by -31.4 pp"}
    assert alert["startsAt"] == "2026-03-02T00:00:00Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"  # still firing, as Alertmanager writes it
    assert alert["fingerprint"] == "f00d"
    assert got["commonLabels"] == alert["labels"]
    assert got["commonAnnotations"] == alert["annotations"]


def test_alertmanager_resolved_alert_has_start_and_end():
    [alert] = body("alertmanager", RESOLVED)["alerts"]
    assert alert["status"] == "resolved"
    assert (alert["startsAt"], alert["endsAt"]) == ("2026-03-02T00:00:00Z", "2026-04-01T00:00:00Z")


def test_slack_body_has_fallback_text_and_blocks():
    got = body("slack")
    assert got["text"].startswith(":rotating_light: [FIRING:critical] btc_vs_ndx")
    assert [b["type"] for b in got["blocks"]] == ["header", "section", "section", "context"]
    assert {"type": "mrkdwn", "text": "*Threshold*\n-25"} in got["blocks"][2]["fields"]
    chart_link = {"type": "mrkdwn", "text": f"<{EXTERNAL}/signals/btc_vs_ndx|dashboard>"}
    assert chart_link in got["blocks"][3]["elements"]  # Slack cannot take the PNG: link it


def test_discord_body_has_content_and_embed():
    got = body("discord")
    assert got["content"] == "[FIRING:critical] btc_vs_ndx"
    [embed] = got["embeds"]
    assert embed["color"] == 0xD32F2F
    assert {"name": "Value", "value": "-31.4", "inline": True} in embed["fields"]
    assert body("discord", RESOLVED)["embeds"][0]["color"] == 0x2E7D32


@pytest.mark.parametrize("fmt", ["firealarm", "alertmanager", "slack", "discord"])
def test_bodies_are_deterministic_json(fmt):
    first = render_body(fmt, FIRING, "ops", EXTERNAL)
    assert first == render_body(fmt, FIRING, "ops", EXTERNAL)  # same bytes on every retry
    assert isinstance(json.loads(first), dict)
