"""dashboard sessions: kept in the database, so every API process (``--workers``) knows them

A row per dashboard sign-in: the SHA-256 of the cookie's random id, a digest of the API token it
was opened with (a changed token ends it) and when it was opened (30 days).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id_digest", sa.String(length=64), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_digest", name=op.f("pk_dashboard_sessions")),
    )
    op.create_index(op.f("ix_dashboard_sessions_opened_at"), "dashboard_sessions", ["opened_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dashboard_sessions_opened_at"), table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
