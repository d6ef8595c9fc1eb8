"""PagerDuty Events API v2 against a loopback receiver answering as PagerDuty does (202 + JSON)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from monitor.cli import run
from monitor.config import parse_config
from monitor.delivery.limits import PAGERDUTY_EVENT_BYTES, PAGERDUTY_SUMMARY
from monitor.delivery.message import AlertMessage
from monitor.delivery.pagerduty import PagerDutySender
from tests.delivery.conftest import T0, make_dispatcher, probe_message, queue_event
from tests.delivery.receiver import Receiver, Reply

KEY_ENV = "FIREALARM_TEST_PD_KEY"
ROUTING_KEY = "R0UT1NGK3Y0000000000000000000000"
ACCEPTED = Reply(202, body=b'{"status":"success","message":"Event processed","dedup_key":"x"}')


def pagerduty_config_text(url: str) -> str:
    return f"""
[alerts]
external_url = "https://firealarm.example.com"

[channels.oncall]
type = "pagerduty"
routing_key_env = "{KEY_ENV}"
url = "{url}"
"""


def pagerduty_config(url: str):
    return parse_config(pagerduty_config_text(url))


@pytest.fixture
def pagerduty():
    server = Receiver()
    server.default = ACCEPTED
    yield server
    server.close()


def _events(receiver: Receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests]


def test_trigger_then_resolve_with_the_same_dedup_key(pagerduty, sqlite_engine):
    config = pagerduty_config(pagerduty.url)
    dispatcher = make_dispatcher(config, sqlite_engine, {KEY_ENV: ROUTING_KEY})
    [firing] = queue_event(sqlite_engine, T0, channels=("oncall",))
    first = dispatcher.dispatch_due(T0)
    [resolved] = queue_event(sqlite_engine, T0, channels=("oncall",), state="resolved")
    second = dispatcher.dispatch_due(T0)

    assert (first.statuses, second.statuses) == ({firing: "sent"}, {resolved: "sent"})
    trigger, resolve = _events(pagerduty)
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"] == "btc_vs_ndx-fp"  # the fingerprint
    assert trigger["routing_key"] == resolve["routing_key"] == ROUTING_KEY
    payload = trigger["payload"]
    assert payload["severity"] == "critical"
    assert payload["summary"] == (
        "[FIRING:critical] btc_vs_ndx: Bitcoin trails the Nasdaq-100 by -31.4 pp over 90 days"
    )
    assert (payload["source"], payload["component"], payload["group"]) == (
        "firealarm",
        "btc_vs_ndx",
        "btc_vs_ndx",
    )
    assert payload["custom_details"]["value"] == -31.4
    assert payload["timestamp"] == "2026-03-02T22:00:00+00:00"
    assert trigger["links"] == [
        {
            "href": "https://firealarm.example.com/signals/btc_vs_ndx",
            "text": "btc_vs_ndx on the firealarm dashboard",
        }
    ]
    assert pagerduty.requests[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [(Reply(400, body=b'{"status":"invalid event"}'), "failed"), (Reply(429), "retry")],
)
def test_invalid_event_fails_and_rate_limit_retries(pagerduty, http_client, reply, outcome):
    pagerduty.default = reply
    result = _sender(pagerduty, http_client, {KEY_ENV: ROUTING_KEY}).send(
        _firing_message(), "msg_x", T0
    )
    assert (result.outcome, result.status_code) == (outcome, reply.status)


def test_missing_routing_key_fails_naming_the_variable(pagerduty, http_client):
    result = _sender(pagerduty, http_client, {}).send(_firing_message(), "msg_x", T0)
    assert result.outcome == "failed"
    assert result.error == f"pagerduty: environment variable {KEY_ENV} is not set"
    assert pagerduty.requests == []


def _sender(receiver, client, env) -> PagerDutySender:
    config = pagerduty_config(receiver.url)
    return PagerDutySender("oncall", config.channels["oncall"], client, env, config.external_url())


def _firing_message():
    return replace(probe_message("oncall", T0), state="firing", fingerprint="fp")


def test_notify_test_command_reaches_pagerduty(
    pagerduty, tmp_path, monkeypatch, capsys, sqlite_engine, sqlite_url
):
    config = tmp_path / "firealarm.toml"
    config.write_text(pagerduty_config_text(pagerduty.url))
    monkeypatch.setenv(KEY_ENV, ROUTING_KEY)
    args = ["--config", str(config), "--db", sqlite_url, "notify-test", "oncall"]
    assert run([*args, "--resolve-after", "0"]) == 0, capsys.readouterr().err
    trigger, resolve = _events(pagerduty)  # the test incident opens, then closes
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert trigger["dedup_key"].startswith("test_")  # its own per test
    assert trigger["payload"]["severity"] == "info"


def _group(count: int, state: str = "firing", summary: str = "no new data") -> AlertMessage:
    lead = _firing_message()
    alerts = tuple(
        replace(
            lead,
            rule="DataStale",
            state=state,
            summary=f"{summary} for INST{n}",
            fingerprint=f"fp{n}",
            labels={"instrument": f"INST{n}"},
        )
        for n in range(count)
    )
    return replace(alerts[0], alerts=alerts, group_labels={"alertname": "DataStale"})


def test_a_group_is_one_incident_listing_every_alert(pagerduty, http_client):
    sender = _sender(pagerduty, http_client, {KEY_ENV: ROUTING_KEY})
    assert sender.send(_group(14), "msg_g1", T0).outcome == "sent"
    assert sender.send(_group(14, state="resolved"), "msg_g2", T0).outcome == "sent"
    trigger, resolve = _events(pagerduty)
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert trigger["dedup_key"].startswith("firealarm-group-")  # the group's, not an alert's
    assert resolve["event_action"] == "resolve"
    payload = trigger["payload"]
    assert payload["summary"].startswith(
        "[FIRING:info] DataStale (14 alerts): no new data for INST0; no new data for INST1;"
    )
    details = payload["custom_details"]
    assert details["group_labels"] == {"alertname": "DataStale"}
    assert [a["labels"]["instrument"] for a in details["alerts"]] == [f"INST{n}" for n in range(14)]
    assert details["truncated_alerts"] == 0


def test_a_huge_group_stays_within_pagerduty_limits(pagerduty, http_client):
    sender = _sender(pagerduty, http_client, {KEY_ENV: ROUTING_KEY})
    assert sender.send(_group(3_000, summary="x" * 500), "msg_g", T0).outcome == "sent"
    [request] = pagerduty.requests
    assert len(request.body) <= PAGERDUTY_EVENT_BYTES
    payload = json.loads(request.body)["payload"]
    assert len(payload["summary"]) == PAGERDUTY_SUMMARY and payload["summary"].endswith("…")
    details = payload["custom_details"]
    assert details["truncated_alerts"] > 0
    assert len(details["alerts"]) + details["truncated_alerts"] == 3_000
