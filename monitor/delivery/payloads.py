"""Webhook bodies: firealarm's native shape and Alertmanager's webhook v4 shape.

Bodies are rendered to bytes once per attempt from the stored event, deterministically, so every
retry of a delivery carries the same body; those exact bytes are signed and sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from monitor.delivery.chat import discord_body, slack_body
from monitor.delivery.message import AlertMessage, signal_url

ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt for an alert still firing
# Formats whose receivers track an alert until it resolves: a test alert resolves there too.
RESOLVING_FORMATS = frozenset({"alertmanager"})


def to_json_bytes(body: dict[str, Any]) -> bytes:
    """Compact, key-ordered JSON: the bytes that are signed are the bytes sent."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def firealarm_body(message: AlertMessage, receiver: str, external_url: str) -> dict[str, Any]:
    """``{"type": "alert.firing", "timestamp": ..., "data": {...}}`` (Standard Webhooks style).

    ``data`` describes the lead alert; ``data.alerts`` lists every alert of the notification
    (one, or a group's), and a group notification names its group in ``data.group_labels``.
    """
    data = {
        **_native_alert(message, external_url),
        "channel": receiver,
        "alerts": [_native_alert(alert, external_url) for alert in message.members],
    }
    if message.group_labels is not None:
        data["group_labels"] = message.group_labels
    return {"type": message.type, "timestamp": _iso(message.timestamp), "data": data}


def _native_alert(message: AlertMessage, external_url: str) -> dict[str, Any]:
    return {
        "event_id": message.event_id,
        "rule": message.rule,
        "state": message.state,
        "date": message.date.isoformat(),
        "signal": message.signal,
        "value": message.value,
        "threshold": message.threshold,
        "severity": message.severity,
        "labels": message.labels,
        "summary": message.summary,
        "fingerprint": message.fingerprint,
        "url": signal_url(external_url, message.signal),
    }


def alertmanager_body(message: AlertMessage, receiver: str, external_url: str) -> dict[str, Any]:
    """Alertmanager's webhook v4 message, so existing Alertmanager receivers accept it.

    ``alerts`` lists every alert of the notification; the group is firing while any alert in
    it fires; ``commonLabels``/``commonAnnotations`` are what all its alerts share.
    ``startsAt`` is the date an alert entered firing, the same in every repeat and in the
    resolve; ``endsAt`` is the resolve date.
    """
    alerts = [_am_alert(alert, external_url) for alert in message.members]
    firing = any(not alert.resolved for alert in message.members)
    group_labels = message.group_labels
    if group_labels is None:
        group_labels = {"alertname": message.rule}
    return {
        "version": "4",
        "groupKey": display_key(group_labels),
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": receiver,
        "groupLabels": group_labels,
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": external_url,
        "alerts": alerts,
    }


def _am_alert(message: AlertMessage, external_url: str) -> dict[str, Any]:
    return {
        "status": "resolved" if message.resolved else "firing",
        "labels": {**message.labels, "alertname": message.rule, "severity": message.severity},
        "annotations": {"summary": message.summary},
        "startsAt": _day(message.starts_at or message.date),
        "endsAt": _day(message.date) if message.resolved else ZERO_TIME,
        "generatorURL": signal_url(external_url, message.signal),
        "fingerprint": message.fingerprint,
    }


def _common(mappings: list[dict[str, str]]) -> dict[str, str]:
    """The pairs every mapping has."""
    first, *rest = mappings
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


def display_key(labels: Mapping[str, str]) -> str:
    """Alertmanager's ``groupKey`` text: ``{}:{alertname="DataStale"}``."""
    inner = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
    return "{}:{" + inner + "}"


Renderer = Callable[[AlertMessage, str, str], dict[str, Any]]

RENDERERS: dict[str, Renderer] = {
    "firealarm": firealarm_body,
    "alertmanager": alertmanager_body,
    "slack": slack_body,
    "discord": discord_body,
}


def render_body(fmt: str, message: AlertMessage, receiver: str, external_url: str) -> bytes:
    """The body of ``message`` in format ``fmt`` as the exact bytes to sign and send."""
    return to_json_bytes(RENDERERS[fmt](message, receiver, external_url))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
