"""observation provider: which chain entry served each observation; provider_states

``observations.provider`` is the entry of the instrument's provider chain that served the row
("yahoo", "fred:NASDAQ100"); rows stored before are their instrument's configured source, which
is what their ``source`` column holds. ``provider_states`` keeps each provider's last success,
last failure and why it was last refused as a fallback, for ``firealarm sources``.

SQLite adds a NOT NULL column only with a default, so the column is added with an empty one and
filled; PostgreSQL then drops the default (SQLite would need a table copy, and its views read
this table).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "observations",
        sa.Column("provider", sa.String(length=64), nullable=False, server_default=""),
    )
    op.execute("UPDATE observations SET provider = source")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("observations", "provider", server_default=None)
    op.create_table(
        "provider_states",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("scale", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "provider", name=op.f("pk_provider_states")),
    )


def downgrade() -> None:
    op.drop_table("provider_states")
    op.drop_column("observations", "provider")
