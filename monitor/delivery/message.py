"""What one notification says, independent of the channel and body format it is sent in."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from monitor.store.models import AlertEvent


@dataclass(frozen=True)
class AlertMessage:
    """One alert transition (or a test) as every body format and the email render it."""

    rule: str
    state: str  # firing | resolved | test (or another event state, sent as alert.<state>)
    date: date
    signal: str
    value: float | None
    threshold: float
    severity: str
    summary: str
    fingerprint: str
    timestamp: datetime  # when the event was recorded: stable across retries
    labels: dict[str, str] = field(default_factory=dict)
    event_id: int | None = None
    starts_at: date | None = None  # when the alert began firing (for resolved events)
    # A group notification: every alert it lists (this one, the lead, first) and its group.
    alerts: tuple[AlertMessage, ...] = ()
    group_labels: dict[str, str] | None = None

    @property
    def type(self) -> str:
        """The Standard Webhooks event type: ``alert.firing``, ``alert.resolved``, ...."""
        return f"alert.{self.state}"

    @property
    def resolved(self) -> bool:
        return self.state == "resolved"

    @property
    def members(self) -> tuple[AlertMessage, ...]:
        """The alerts this notification announces: the group's, or this one alone."""
        return self.alerts or (self,)


def message_from_event(event: AlertEvent, starts_at: date | None = None) -> AlertMessage:
    """The message announcing a stored alert event."""
    return AlertMessage(
        rule=event.rule,
        state=event.state,
        date=event.date,
        signal=event.signal,
        value=event.value,
        threshold=event.threshold,
        severity=event.severity,
        summary=event.summary,
        fingerprint=event.fingerprint,
        timestamp=event.recorded_at,
        labels=dict(json.loads(event.labels or "{}")),
        event_id=event.id,
        starts_at=starts_at,
    )


def group_message(
    events: Sequence[AlertEvent], starts: Mapping[int, date], group_labels: dict[str, str]
) -> AlertMessage:
    """The notification of a group: its first alert leads, every alert is listed."""
    alerts = tuple(message_from_event(e, starts.get(e.id)) for e in events)
    return replace(alerts[0], alerts=alerts, group_labels=group_labels)


def notify_test_message(channel: str, now: datetime) -> AlertMessage:
    """The ``alert.test`` message ``firealarm notify-test`` sends."""
    return AlertMessage(
        rule="firealarm_test",
        state="test",
        date=now.date(),
        signal="none",
        value=None,
        threshold=0.0,
        severity="info",
        summary=f"Test notification from firealarm to channel {channel!r}",
        fingerprint="test",
        timestamp=now.astimezone(UTC),
        labels={"channel": channel},
    )
