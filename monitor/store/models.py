"""The ORM classes of the schema, each mapped onto its table in :mod:`monitor.store.tables`.

The tables (and their columns, types, keys and indexes) are defined once, there; a class here
names its table and types its attributes for the ORM users of the code.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase, Mapped

from monitor.store import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class Observation(Base):
    """One daily value of an instrument: what it describes (``date``) and when it was usable."""

    __table__ = tables.observations

    symbol: Mapped[str]
    date: Mapped[date]
    available_date: Mapped[dt.date]
    close: Mapped[float]
    open: Mapped[float | None]
    high: Mapped[float | None]
    low: Mapped[float | None]
    adj_close: Mapped[float | None]
    volume: Mapped[float | None]
    source: Mapped[str]
    fetched_at: Mapped[datetime]
    provider: Mapped[str]


class FetchRun(Base):
    """One fetch (or import) of one source: when, how many rows, and why it failed if it did."""

    __table__ = tables.fetch_runs

    id: Mapped[int]
    source: Mapped[str]
    symbols: Mapped[str]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str]
    rows: Mapped[int]
    rejected: Mapped[int]
    error: Mapped[str | None]


class ProviderState(Base):
    """How one provider of one instrument's chain last fared: fetched, failed, or refused."""

    __table__ = tables.provider_states

    symbol: Mapped[str]
    provider: Mapped[str]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    refusal: Mapped[str | None]
    scale: Mapped[float | None]
    updated_at: Mapped[datetime]


class RejectedRow(Base):
    """A row a source delivered that failed validation, with the reason; never stored as data."""

    __table__ = tables.rejected_rows

    id: Mapped[int]
    fetch_run_id: Mapped[int]
    symbol: Mapped[str]
    date: Mapped[str | None]
    reason: Mapped[str]


class SignalValue(Base):
    """One value of a signal on one (available) date."""

    __table__ = tables.signal_values

    signal: Mapped[str]
    date: Mapped[date]
    value: Mapped[float]
    computed_at: Mapped[datetime]


class PendingChange(Base):
    """Stored observations of ``symbol`` changed from available date ``since`` on and no
    evaluation has recomputed the signals reading them yet.

    Ingest adds one row per changed symbol in the transaction that changes the observations;
    an evaluation deletes exactly the rows it read, so a change committed meanwhile stays.
    """

    __table__ = tables.pending_changes

    id: Mapped[int]
    symbol: Mapped[str]
    since: Mapped[date]
    recorded_at: Mapped[datetime]


class SignalDefinition(Base):
    """The fingerprint of the definition a signal's stored values were computed under."""

    __table__ = tables.signal_definitions

    signal: Mapped[str]
    fingerprint: Mapped[str]
    recorded_at: Mapped[datetime]


class RuleState(Base):
    """The last evaluated state of one alert (rule + labels), what the evaluator resumes from."""

    __table__ = tables.rule_states

    fingerprint: Mapped[str]
    rule: Mapped[str]
    state: Mapped[str]
    last_date: Mapped[date | None]
    last_value: Mapped[float | None]
    true_count: Mapped[int]
    false_count: Mapped[int]
    active_since: Mapped[date | None]
    last_notified_date: Mapped[date | None]
    updated_at: Mapped[datetime]


class AlertEvent(Base):
    """One transition of one alert. The unique key makes every transition exactly-once."""

    __table__ = tables.alert_events

    id: Mapped[int]
    rule: Mapped[str]
    fingerprint: Mapped[str]
    state: Mapped[str]
    reason: Mapped[str]
    date: Mapped[date]
    signal: Mapped[str]
    value: Mapped[float | None]
    threshold: Mapped[float]
    severity: Mapped[str]
    labels: Mapped[str]
    summary: Mapped[str]
    recorded_at: Mapped[datetime]
    suppressed: Mapped[str | None]


class Delivery(Base):
    """One alert event to be sent to one channel (the outbox). ``id`` is the webhook-id.

    ``lease_until``/``lease_owner`` mark a delivery a dispatcher has claimed and is sending, so
    no other dispatcher sends it at the same time; a lease left by a killed process expires and
    the delivery is sent again (at least once). Max age counts from ``replayed_at`` when set.
    """

    __table__ = tables.deliveries

    id: Mapped[str]
    event_id: Mapped[int]
    channel: Mapped[str]
    status: Mapped[str]
    attempts: Mapped[int]
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    last_status_code: Mapped[int | None]
    replayed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None]
    group_key: Mapped[str | None]
    group_seq: Mapped[int | None]


class DeliveryEvent(Base):
    """One alert listed in a group notification (its lead event, ``event_id``, included)."""

    __table__ = tables.delivery_events

    delivery_id: Mapped[str]
    event_id: Mapped[int]


class NotificationGroup(Base):
    """One aggregation group of one channel (Alertmanager's): its labels and last notification.

    Its row is locked while a notification is queued for it, so concurrent evaluators agree on
    one open notification; ``seq`` numbers the group's notifications (unique with the channel).
    """

    __table__ = tables.notification_groups

    channel: Mapped[str]
    group_key: Mapped[str]
    labels: Mapped[str]
    seq: Mapped[int]
    open_delivery_id: Mapped[str | None]
    last_due_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Silence(Base):
    """Alerts matching every matcher send nothing from ``starts_at`` until ``ends_at``."""

    __table__ = tables.silences

    id: Mapped[str]
    matchers: Mapped[str]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    author: Mapped[str]
    comment: Mapped[str]
    created_at: Mapped[datetime]


class Acknowledgement(Base):
    """A user saw one firing alert: its repeats stop until it resolves or fires anew.

    ``active_since`` is the alert's start; a new firing has a new start, which no ack names.
    """

    __table__ = tables.acknowledgements

    id: Mapped[int]
    fingerprint: Mapped[str]
    rule: Mapped[str]
    active_since: Mapped[date | None]
    author: Mapped[str]
    comment: Mapped[str]
    created_at: Mapped[datetime]


class DeliveryAttempt(Base):
    """One try of one delivery: what the receiver said and how long it took."""

    __table__ = tables.delivery_attempts

    id: Mapped[int]
    delivery_id: Mapped[str]
    attempted_at: Mapped[datetime]
    outcome: Mapped[str]
    status_code: Mapped[int | None]
    error: Mapped[str | None]
    duration_ms: Mapped[float]


class ChannelState(Base):
    """A channel disabled by its receiver (HTTP 410 Gone), until re-enabled."""

    __table__ = tables.channel_states

    channel: Mapped[str]
    disabled_at: Mapped[datetime | None]
    reason: Mapped[str | None]


class JobRun(Base):
    """The daemon's view of each scheduled job: last run, outcome and next run."""

    __table__ = tables.job_runs

    job: Mapped[str]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_status: Mapped[str | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    next_run_at: Mapped[datetime | None]
    runner: Mapped[str | None]
    runs: Mapped[int]


def table_of(model: type[Base]) -> Table:
    """The ``Table`` a mapped class is stored in (typed as one, for Core statements)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
