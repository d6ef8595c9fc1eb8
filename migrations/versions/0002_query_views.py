"""query views: latest_signal_values, open_alerts, alert_history, delivery_log

Stable, documented views for users of sqlite3, Datasette and psql (README, "Querying"). The SQL
is the common subset of SQLite (3.25+, window functions) and PostgreSQL.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = {
    # The newest stored value of each signal (fire_alarm_stage included).
    "latest_signal_values": """
        SELECT sv.signal, sv.date, sv.value, sv.computed_at
        FROM signal_values sv
        JOIN (SELECT signal, MAX(date) AS date FROM signal_values GROUP BY signal) newest
          ON newest.signal = sv.signal AND newest.date = sv.date
    """,
    # Each alert (rule + labels) whose latest transition left it pending or firing.
    "open_alerts": """
        SELECT rule, fingerprint, state, date, signal, value, threshold, severity, labels,
               summary, recorded_at
        FROM (
            SELECT e.*, ROW_NUMBER() OVER (
                PARTITION BY fingerprint ORDER BY date DESC, id DESC) AS newest
            FROM alert_events e
        ) ranked
        WHERE newest = 1 AND state IN ('pending', 'firing')
    """,
    # Every transition with the signal's value and threshold, and how its deliveries went.
    "alert_history": """
        SELECT e.id AS event_id, e.rule, e.fingerprint, e.state, e.reason, e.date, e.signal,
               e.value, e.threshold, e.severity, e.labels, e.summary, e.recorded_at,
               COUNT(d.id) AS deliveries,
               SUM(CASE WHEN d.status = 'sent' THEN 1 ELSE 0 END) AS delivered
        FROM alert_events e
        LEFT JOIN deliveries d ON d.event_id = e.id
        GROUP BY e.id, e.rule, e.fingerprint, e.state, e.reason, e.date, e.signal, e.value,
                 e.threshold, e.severity, e.labels, e.summary, e.recorded_at
    """,
    # Every delivery with the alert it carries.
    "delivery_log": """
        SELECT d.id AS delivery_id, d.channel, d.status, d.attempts, d.created_at,
               d.last_attempt_at, d.delivered_at, d.next_attempt_at, d.last_status_code,
               d.last_error, d.replayed_at,
               e.id AS event_id, e.rule, e.state AS alert_state, e.date AS alert_date,
               e.value, e.threshold, e.severity, e.summary
        FROM deliveries d
        JOIN alert_events e ON e.id = d.event_id
    """,
}


def upgrade() -> None:
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {body.strip()}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
