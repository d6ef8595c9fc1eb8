"""The schema as SQLAlchemy Core tables: plain tables and columns that users can query with SQL.

The schema is created only by the Alembic migrations in ``migrations/``; a test checks that
``upgrade head`` yields exactly these tables on SQLite and PostgreSQL. Every time is a
:class:`~monitor.store.types.UtcDateTime`: timezone-aware UTC on both. Read paths that need no
ORM (the CLI's light commands) use these tables alone; :mod:`monitor.store.models` maps classes
onto them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
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

from monitor.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _source_of_row(context: Any) -> Any:
    return context.get_current_parameters()["source"]


# One daily value of an instrument: what it describes (``date``) and when it was usable.
observations = Table(
    "observations",
    metadata,
    Column("symbol", String(32), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("available_date", Date, nullable=False),
    Column("close", Float, nullable=False),
    Column("open", Float),
    Column("high", Float),
    Column("low", Float),
    Column("adj_close", Float),
    Column("volume", Float),
    Column("source", String(16), nullable=False),  # the adapter that served it
    Column("fetched_at", UtcDateTime, nullable=False),
    # The chain entry that served it, as written in config ("yahoo", "fred:NASDAQ100"); a row
    # written without one is its source's.
    Column("provider", String(64), nullable=False, default=_source_of_row),
    Index(None, "symbol", "available_date"),
)


# How one provider of one instrument's chain last fared: fetched, failed, or refused as a
# fallback (``refusal``: why its values disagreed with the stored series, NULL once accepted;
# ``scale``: the factor last fitted to the stored series).
provider_states = Table(
    "provider_states",
    metadata,
    Column("symbol", String(32), primary_key=True),
    Column("provider", String(64), primary_key=True),
    Column("last_success_at", UtcDateTime),
    Column("last_failure_at", UtcDateTime),
    Column("last_error", Text),
    Column("refusal", Text),
    Column("scale", Float),
    Column("updated_at", UtcDateTime, nullable=False),
)


# One fetch (or import) of one source: when, how many rows, and why it failed if it did.
fetch_runs = Table(
    "fetch_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("symbols", Text, nullable=False, default=""),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("status", String(16), nullable=False),  # running | ok | failed
    Column("rows", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("error", Text),
    Index(None, "source", "started_at"),
)


# A row a source delivered that failed validation, with the reason; never stored as data.
rejected_rows = Table(
    "rejected_rows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "fetch_run_id", ForeignKey("fetch_runs.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("symbol", String(32), nullable=False),
    Column("date", String(32)),
    Column("reason", Text, nullable=False),
)


# One value of a signal on one (available) date.
signal_values = Table(
    "signal_values",
    metadata,
    Column("signal", String(64), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("value", Float, nullable=False),
    Column("computed_at", UtcDateTime, nullable=False),
)


# Stored observations of ``symbol`` changed from available date ``since`` on and no evaluation has
# recomputed the signals reading them yet.
pending_changes = Table(
    "pending_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("symbol", String(32), nullable=False),
    Column("since", Date, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)


# The fingerprint of the definition a signal's stored values were computed under.
signal_definitions = Table(
    "signal_definitions",
    metadata,
    Column("signal", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)


# The last evaluated state of one alert (rule + labels), what the evaluator resumes from.
rule_states = Table(
    "rule_states",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("rule", String(128), nullable=False, index=True),
    Column("state", String(16), nullable=False),  # inactive|pending|firing
    Column("last_date", Date),
    Column("last_value", Float),
    Column("true_count", Integer, nullable=False, default=0),
    Column("false_count", Integer, nullable=False, default=0),
    Column("active_since", Date),
    Column("last_notified_date", Date),
    Column("updated_at", UtcDateTime, nullable=False),
)


# One transition of one alert. The unique key makes every transition exactly-once.
alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # pending|firing|resolved
    Column("reason", String(32), nullable=False),
    Column("date", Date, nullable=False),
    Column("signal", String(64), nullable=False),
    Column("value", Float),
    Column("threshold", Float, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("labels", Text, nullable=False, default="{}"),  # JSON object
    Column("summary", Text, nullable=False, default=""),
    Column("recorded_at", UtcDateTime, nullable=False),
    # Why a transition that would notify sent nothing: "silenced by sil_...", "acknowledged",
    # "inhibited by ..."; NULL when it was sent (or never meant to be).
    Column("suppressed", String(128)),
    UniqueConstraint("fingerprint", "state", "date"),
    Index(None, "rule", "date"),
)


# One alert event to be sent to one channel (the outbox). ``id`` is the webhook-id.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("event_id", ForeignKey("alert_events.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(64), nullable=False),
    # pending | sent | failed (permanent error, or channel disabled) | dead (max age reached)
    # | superseded (held by a mute interval, and no longer true when due: never sent)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_attempt_at", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    Column("last_error", Text),
    Column("last_status_code", Integer),
    Column("replayed_at", UtcDateTime),
    Column("lease_until", UtcDateTime),
    Column("lease_owner", String(40)),
    # A group notification: its group and its number in the group (NULL when not grouped).
    Column("group_key", String(64)),
    Column("group_seq", Integer),
    UniqueConstraint("event_id", "channel"),
    Index(None, "channel", "group_key", "group_seq", unique=True),
    Index(None, "status", "next_attempt_at"),
)


# One alert listed in a group notification (its lead event, ``event_id``, included).
delivery_events = Table(
    "delivery_events",
    metadata,
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "event_id", ForeignKey("alert_events.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


# One aggregation group of one channel (Alertmanager's): its labels and last notification.
notification_groups = Table(
    "notification_groups",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("group_key", String(64), primary_key=True),
    Column("labels", Text, nullable=False),  # JSON object
    Column("seq", Integer, nullable=False, default=0),
    Column("open_delivery_id", String(40)),
    Column("last_due_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
)


# Alerts matching every matcher send nothing from ``starts_at`` until ``ends_at``.
silences = Table(
    "silences",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("matchers", Text, nullable=False),  # JSON list of "name=value"...
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False, index=True),
    Column("author", String(128), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


# A user saw one firing alert: its repeats stop until it resolves or fires anew.
acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, index=True),
    Column("rule", String(128), nullable=False),
    Column("active_since", Date),
    Column("author", String(128), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)


# One try of one delivery: what the receiver said and how long it took.
delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),  # sent|retry|failed|disabled
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Float, nullable=False),
)


# A channel disabled by its receiver (HTTP 410 Gone), until re-enabled.
channel_states = Table(
    "channel_states",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("disabled_at", UtcDateTime),
    Column("reason", Text),
)


# The daemon's view of each scheduled job: last run, outcome and next run.
job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("last_started_at", UtcDateTime),
    Column("last_finished_at", UtcDateTime),
    Column("last_status", String(16)),
    Column("last_success_at", UtcDateTime),
    Column("last_error", Text),
    Column("next_run_at", UtcDateTime),
    Column("runner", String(128)),
    Column("runs", BigInteger, nullable=False, default=0),
)


# Dashboard sign-ins (``/login``): a digest of each session cookie's random id, never the id or
# the token; shared by every process serving the API, so ``/logout`` ends a session everywhere.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("id_digest", String(64), primary_key=True),
    Column("token_digest", String(64), nullable=False),  # the token it was opened with
    Column("opened_at", UtcDateTime, nullable=False, index=True),
)
