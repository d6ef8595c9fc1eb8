"""change tracking: pending_changes and signal_definitions

Incremental evaluation reads which observations changed since it last ran (``pending_changes``)
and under which definition each signal's values were computed (``signal_definitions``). An
upgraded database has no fingerprints yet, so its first evaluation recomputes every signal once.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_changes")),
    )
    op.create_table(
        "signal_definitions",
        sa.Column("signal", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signal", name=op.f("pk_signal_definitions")),
    )


def downgrade() -> None:
    op.drop_table("signal_definitions")
    op.drop_table("pending_changes")
