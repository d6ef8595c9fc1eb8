"""notifications: group notifications, silences, acknowledgements

Alerts of one group are announced by one delivery per channel listing them
(``delivery_events``); ``notification_groups`` holds each group's last notification, and its row
lock makes concurrent evaluators queue one. Silences and acknowledgements are stored so every
replica applies them; an event that was not sent because of them says why (``suppressed``).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN and a unique index, not a batch table copy: SQLite views read these tables.
    op.add_column("alert_events", sa.Column("suppressed", sa.String(length=128), nullable=True))
    op.add_column("deliveries", sa.Column("group_key", sa.String(length=64), nullable=True))
    op.add_column("deliveries", sa.Column("group_seq", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_deliveries_channel_group_key_group_seq"),
        "deliveries",
        ["channel", "group_key", "group_seq"],
        unique=True,
    )
    op.create_table(
        "delivery_events",
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_events_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["alert_events.id"],
            name=op.f("fk_delivery_events_event_id_alert_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "event_id", name=op.f("pk_delivery_events")),
    )
    op.create_index(
        op.f("ix_delivery_events_event_id"), "delivery_events", ["event_id"], unique=False
    )
    op.create_table(
        "notification_groups",
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("open_delivery_id", sa.String(length=40), nullable=True),
        sa.Column("last_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "group_key", name=op.f("pk_notification_groups")),
    )
    op.create_table(
        "silences",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("matchers", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silences")),
    )
    op.create_index(op.f("ix_silences_ends_at"), "silences", ["ends_at"], unique=False)
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("active_since", sa.Date(), nullable=True),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
    )
    op.create_index(
        op.f("ix_acknowledgements_fingerprint"), "acknowledgements", ["fingerprint"], unique=False
    )


def downgrade() -> None:
    op.drop_table("acknowledgements")
    op.drop_table("silences")
    op.drop_table("notification_groups")
    op.drop_table("delivery_events")
    op.drop_index(op.f("ix_deliveries_channel_group_key_group_seq"), table_name="deliveries")
    op.drop_column("deliveries", "group_seq")
    op.drop_column("deliveries", "group_key")
    op.drop_column("alert_events", "suppressed")
