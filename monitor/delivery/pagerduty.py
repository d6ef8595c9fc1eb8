"""The PagerDuty sender: Events API v2 (``POST /v2/enqueue``), so on-call gets the resolve too.

A firing alert is a ``trigger`` and its resolution a ``resolve`` with the same ``dedup_key`` (the
alert's fingerprint), which closes the incident. A group notification is one incident per
group (``dedup_key`` from the group's labels): triggered while any of its alerts fires, with
every alert in ``custom_details.alerts`` (up to PagerDuty's event size, then
``truncated_alerts``) and their summaries in ``summary`` (up to 1,024 characters); resolved
when a notification lists them all resolved. PagerDuty answers 202 when it took the event,
400 for an invalid one (permanent), 429 and 5xx when it wants the event again later: the shared
classifier's rules. ``notify-test`` triggers a test incident and resolves it shortly after.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from monitor.config import PagerDutyChannel
from monitor.delivery.attempt import send_once
from monitor.delivery.chat import headline
from monitor.delivery.limits import PAGERDUTY_EVENT_BYTES, PAGERDUTY_SUMMARY, truncate
from monitor.delivery.message import AlertMessage, signal_url
from monitor.delivery.outcome import SendResult
from monitor.delivery.payloads import to_json_bytes
from monitor.errors import DeliveryError

# PagerDuty's severities are critical, error, warning and info; ours map one to one.
SEVERITIES = {"critical": "critical", "warning": "warning", "info": "info"}
# Room left in an event for the alerts' details, beside everything else it carries.
DETAILS_BYTES = PAGERDUTY_EVENT_BYTES - 64 * 1_024


def pagerduty_event(
    message: AlertMessage, routing_key: str, receiver: str, external_url: str, delivery_id: str
) -> dict[str, Any]:
    """The event announcing ``message``: resolve when it resolved, else trigger (a test too).

    PagerDuty deduplicates by ``dedup_key``; the delivery id rides in ``custom_details`` so an
    incident can be traced to its delivery (and a retry shows the same id).
    """
    key = dedup_key(message)
    if message.resolved:
        return _event("resolve", routing_key, key)
    trigger = _trigger(message, routing_key, key, receiver, external_url)
    details = trigger["payload"]["custom_details"]
    details["delivery_id"] = delivery_id
    if message.group_labels is not None:
        details["group_labels"] = message.group_labels
        details["alerts"], details["truncated_alerts"] = _alert_details(message)
    return trigger


def dedup_key(message: AlertMessage) -> str:
    """The incident a message is about: its alert's, or its group's (the same for every
    notification of the group, so its resolution closes it)."""
    if message.group_labels is None:
        return message.fingerprint
    labels = json.dumps(message.group_labels, sort_keys=True, separators=(",", ":"))
    return f"firealarm-group-{hashlib.sha256(labels.encode()).hexdigest()[:32]}"


def _alert_details(message: AlertMessage) -> tuple[list[dict[str, Any]], int]:
    """Every alert of a group as a detail, while they fit PagerDuty's event size, and how
    many did not."""
    details: list[dict[str, Any]] = []
    used = 0
    for alert in message.members:
        detail = {
            "rule": alert.rule,
            "state": alert.state,
            "summary": alert.summary,
            "signal": alert.signal,
            "value": alert.value,
            "threshold": alert.threshold,
            "date": alert.date.isoformat(),
            "labels": alert.labels,
            "fingerprint": alert.fingerprint,
        }
        used += len(to_json_bytes(detail)) + 1
        if used > DETAILS_BYTES:
            break
        details.append(detail)
    return details, len(message.members) - len(details)


def _event(action: str, routing_key: str, dedup_key: str) -> dict[str, Any]:
    return {"routing_key": routing_key, "event_action": action, "dedup_key": dedup_key}


def _trigger(
    message: AlertMessage, routing_key: str, key: str, receiver: str, external_url: str
) -> dict[str, Any]:
    url = signal_url(external_url, message.signal)
    summaries = [a.summary for a in message.members if a.summary]
    summary = f"{headline(message)}: {'; '.join(summaries)}" if summaries else headline(message)
    return {
        **_event("trigger", routing_key, key),
        "payload": {
            "summary": truncate(summary, PAGERDUTY_SUMMARY),
            "source": "firealarm",
            "severity": SEVERITIES.get(message.severity, "warning"),
            "timestamp": message.timestamp.astimezone(UTC).isoformat(),
            "component": message.signal,
            "group": message.rule,
            "class": message.state,
            "custom_details": {
                "rule": message.rule,
                "signal": message.signal,
                "value": message.value,
                "threshold": message.threshold,
                "date": message.date.isoformat(),
                "labels": message.labels,
                "channel": receiver,
            },
        },
        "client": "firealarm",
        "client_url": external_url,
        "links": [{"href": url, "text": f"{message.signal} on the firealarm dashboard"}],
    }


class PagerDutySender:
    """Posts events to ``channel.url`` with the routing key from ``environ``."""

    def __init__(
        self,
        name: str,
        channel: PagerDutyChannel,
        client: httpx.Client,
        environ: Mapping[str, str],
        external_url: str,
    ) -> None:
        self.name = name
        self.channel = channel
        self.client = client
        self.environ = environ
        self.external_url = external_url

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """Post the event once; a missing routing key fails naming its variable."""
        try:
            key = self._routing_key()
        except DeliveryError as exc:
            return SendResult("failed", error=str(exc))
        event = pagerduty_event(message, key, self.name, self.external_url, delivery_id)
        request = self.client.build_request(
            "POST",
            self.channel.url,
            content=to_json_bytes(event),
            headers={"content-type": "application/json"},
            timeout=self.channel.timeout,
        )
        return send_once(self.client, request, now, self.channel.timeout)

    def _routing_key(self) -> str:
        variable = self.channel.routing_key_env
        key = self.environ.get(variable, "")
        if not key:
            raise DeliveryError(f"pagerduty: environment variable {variable} is not set")
        return key
