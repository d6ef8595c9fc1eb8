"""Idempotent writes: ``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
) -> int:
    """Insert ``rows`` into ``table``, updating the non-key columns of rows whose ``key`` exists.

    One statement executed for many parameter sets (SQLAlchemy batches them). Rows must all have
    the same keys. Returns the number of rows written.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in key}
    statement = statement.on_conflict_do_update(index_elements=list(key), set_=updates)
    session.connection().execute(statement, list(rows))
    return len(rows)
