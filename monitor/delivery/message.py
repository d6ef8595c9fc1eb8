"""What one notification says, independent of the channel and body format it is sent in."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Protocol

from sqlalchemy import bindparam, select

from monitor.store.dates import Reader
from monitor.store.models import AlertEvent

TEST_RULE = "firealarm_test"
# States an alert is firing in, for its receivers: a test alert is sent as firing.
FIRING_STATES = ("firing", "test")


class StoredAlert(Protocol):
    """A stored alert event: an :class:`AlertEvent`, or a row of its table."""

    @property
    def id(self) -> int: ...
    @property
    def rule(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def date(self) -> date: ...
    @property
    def signal(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def threshold(self) -> float: ...
    @property
    def severity(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def labels(self) -> str | None: ...


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
    starts_at: dt.date | None = None  # when the alert entered firing (stable across its repeats)
    title: str | None = None  # the channel's title_template rendered, else a headline is made
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

    @property
    def is_test(self) -> bool:
        """Whether this is a ``firealarm notify-test`` message (its signal is none)."""
        return self.rule == TEST_RULE


def message_from_event(event: StoredAlert, starts_at: date | None = None) -> AlertMessage:
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
    events: Sequence[StoredAlert],
    starts: Mapping[int, date | None],
    group_labels: dict[str, str],
) -> AlertMessage:
    """The notification of a group: its first alert leads, every alert is listed."""
    alerts = tuple(message_from_event(e, starts.get(e.id)) for e in events)
    return replace(alerts[0], alerts=alerts, group_labels=group_labels)


# Built once, the fingerprints bound as one list: a claim's hundreds cost no expression each.
_HISTORIES = select(AlertEvent.fingerprint, AlertEvent.state, AlertEvent.date).where(
    AlertEvent.fingerprint.in_(bindparam("fingerprints", expanding=True)),
    AlertEvent.state.in_((*FIRING_STATES, "resolved")),
    AlertEvent.date <= bindparam("until"),
)


def firing_since(reader: Reader, events: Sequence[StoredAlert]) -> dict[int, date | None]:
    """For each event (by id): the date the alert it is about entered firing, its first firing
    date after its last resolve before the event. The same for the first firing, every repeat
    and the resolve; None for other states. One query for all of ``events``.
    """
    wanted = [e for e in events if e.state in (*FIRING_STATES, "resolved")]
    history: dict[str, list[tuple[str, date]]] = {}
    if wanted:
        rows = reader.execute(
            _HISTORIES,
            {
                "fingerprints": list({e.fingerprint for e in wanted}),
                "until": max(e.date for e in wanted),
            },
        )
        for fingerprint, state, day in rows:
            history.setdefault(fingerprint, []).append((state, day))
    since: dict[int, date | None] = {e.id: None for e in events}
    for event in wanted:
        past = history.get(event.fingerprint, [])
        resolves = [day for state, day in past if state == "resolved" and day < event.date]
        after = max(resolves, default=None)
        firing = [
            day
            for state, day in past
            if state in FIRING_STATES and day <= event.date and (after is None or day > after)
        ]
        since[event.id] = min(firing, default=None)
    return since


def probe_events(channel: str, now: datetime, resolve_at: datetime | None) -> list[AlertEvent]:
    """The events of one ``firealarm notify-test``: a ``test`` alert (sent as firing) and, if
    ``resolve_at`` is given, its ``resolved`` event then. A fingerprint of its own per test lets
    receivers that track alerts match the resolve to its firing.
    """
    fingerprint = f"test_{uuid.uuid4().hex[:16]}"
    summary = f"Test notification from firealarm to channel {channel!r}"
    moments = [("test", now, summary)]
    if resolve_at is not None:
        moments.append(("resolved", resolve_at, f"{summary}: resolved"))
    return [
        AlertEvent(
            rule=TEST_RULE,
            fingerprint=fingerprint,
            state=state,
            reason="notify-test",
            date=now.astimezone(UTC).date(),
            signal="none",
            value=None,
            threshold=0.0,
            severity="info",
            labels=json.dumps({"channel": channel}),
            summary=text,
            recorded_at=moment.astimezone(UTC),
        )
        for state, moment, text in moments
    ]


def signal_url(external_url: str, signal: str) -> str:
    """Where the dashboard shows ``signal`` (and its chart)."""
    return f"{external_url.rstrip('/')}/signals/{signal}"
