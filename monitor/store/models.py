"""The schema: plain tables and columns that users can query with SQL.

The schema is created only by the Alembic migrations in ``migrations/``; a test checks that
``upgrade head`` yields exactly these models on SQLite and PostgreSQL. Every time is a
:class:`~monitor.store.types.UtcDateTime`: timezone-aware UTC on both.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from monitor.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Observation(Base):
    """One daily value of an instrument: what it describes (``date``) and when it was usable."""

    __tablename__ = "observations"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    available_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    close: Mapped[float] = mapped_column(Float, nullable=False)
    open: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    adj_close: Mapped[float | None] = mapped_column(Float)
    volume: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    __table_args__ = (Index(None, "symbol", "available_date"),)


class FetchRun(Base):
    """One fetch (or import) of one source: when, how many rows, and why it failed if it did."""

    __tablename__ = "fetch_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    symbols: Mapped[str] = mapped_column(Text, nullable=False, default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # running | ok | failed
    rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "source", "started_at"),)


class RejectedRow(Base):
    """A row a source delivered that failed validation, with the reason; never stored as data."""

    __tablename__ = "rejected_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fetch_run_id: Mapped[int] = mapped_column(
        ForeignKey("fetch_runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    date: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, nullable=False)


class SignalValue(Base):
    """One value of a signal on one (available) date."""

    __tablename__ = "signal_values"

    signal: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class PendingChange(Base):
    """Stored observations of ``symbol`` changed from available date ``since`` on and no
    evaluation has recomputed the signals reading them yet.

    Ingest adds one row per changed symbol in the transaction that changes the observations;
    an evaluation deletes exactly the rows it read, so a change committed meanwhile stays.
    """

    __tablename__ = "pending_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    since: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class SignalDefinition(Base):
    """The fingerprint of the definition a signal's stored values were computed under."""

    __tablename__ = "signal_definitions"

    signal: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class RuleState(Base):
    """The last evaluated state of one alert (rule + labels), what the evaluator resumes from."""

    __tablename__ = "rule_states"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # inactive|pending|firing
    last_date: Mapped[date | None] = mapped_column(Date)
    last_value: Mapped[float | None] = mapped_column(Float)
    true_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    false_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active_since: Mapped[date | None] = mapped_column(Date)
    last_notified_date: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class AlertEvent(Base):
    """One transition of one alert. The unique key makes every transition exactly-once."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(128), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)  # pending|firing|resolved
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    date: Mapped[date] = mapped_column(Date, nullable=False)
    signal: Mapped[str] = mapped_column(String(64), nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    labels: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON object
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Why a transition that would notify sent nothing: "silenced by sil_...", "acknowledged",
    # "inhibited by ..."; NULL when it was sent (or never meant to be).
    suppressed: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        UniqueConstraint("fingerprint", "state", "date"),
        Index(None, "rule", "date"),
    )


class Delivery(Base):
    """One alert event to be sent to one channel (the outbox). ``id`` is the webhook-id.

    ``lease_until``/``lease_owner`` mark a delivery a dispatcher has claimed and is sending, so
    no other dispatcher sends it at the same time; a lease left by a killed process expires and
    the delivery is sent again (at least once). Max age counts from ``replayed_at`` when set.
    """

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("alert_events.id", ondelete="CASCADE"), nullable=False
    )
    channel: Mapped[str] = mapped_column(String(64), nullable=False)
    # pending | sent | failed (permanent error, or channel disabled) | dead (max age reached)
    # | superseded (held by a mute interval, and no longer true when due: never sent)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    replayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    # A group notification: its group and its number in the group (NULL when not grouped).
    group_key: Mapped[str | None] = mapped_column(String(64))
    group_seq: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("event_id", "channel"),
        Index(None, "channel", "group_key", "group_seq", unique=True),
        Index(None, "status", "next_attempt_at"),
    )


class DeliveryEvent(Base):
    """One alert listed in a group notification (its lead event, ``event_id``, included)."""

    __tablename__ = "delivery_events"

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("alert_events.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class NotificationGroup(Base):
    """One aggregation group of one channel (Alertmanager's): its labels and last notification.

    Its row is locked while a notification is queued for it, so concurrent evaluators agree on
    one open notification; ``seq`` numbers the group's notifications (unique with the channel).
    """

    __tablename__ = "notification_groups"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(Text, nullable=False)  # JSON object
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    open_delivery_id: Mapped[str | None] = mapped_column(String(40))
    last_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Silence(Base):
    """Alerts matching every matcher send nothing from ``starts_at`` until ``ends_at``."""

    __tablename__ = "silences"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    matchers: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list of "name=value"...
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Acknowledgement(Base):
    """A user saw one firing alert: its repeats stop until it resolves or fires anew.

    ``active_since`` is the alert's start; a new firing has a new start, which no ack names.
    """

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    rule: Mapped[str] = mapped_column(String(128), nullable=False)
    active_since: Mapped[date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class DeliveryAttempt(Base):
    """One try of one delivery: what the receiver said and how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # sent|retry|failed|disabled
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float, nullable=False)


class ChannelState(Base):
    """A channel disabled by its receiver (HTTP 410 Gone), until re-enabled."""

    __tablename__ = "channel_states"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class JobRun(Base):
    """The daemon's view of each scheduled job: last run, outcome and next run."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    runner: Mapped[str | None] = mapped_column(String(128))
    runs: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


def table_of(model: type[Base]) -> Table:
    """The ``Table`` a mapped class is stored in (typed as one, for Core statements)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
