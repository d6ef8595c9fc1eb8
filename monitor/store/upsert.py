"""Idempotent writes: ``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.orm import Session

from monitor.store.models import Base


def dialect_insert(session: Session, table: type[Base]) -> PostgresInsert | SqliteInsert:
    """An ``INSERT`` for ``table`` in the session's dialect, which has ``ON CONFLICT`` clauses.

    The one place that chooses between SQLite's and PostgreSQL's insert constructs.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    session: Session,
    table: type[Base],
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
) -> int:
    """Insert ``rows`` into ``table``, updating the non-key columns of rows whose ``key`` exists.

    One statement executed for many parameter sets (SQLAlchemy batches them). Rows must all have
    the same keys. Returns the number of rows written.
    """
    if not rows:
        return 0
    statement = dialect_insert(session, table)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in key}
    statement = statement.on_conflict_do_update(index_elements=list(key), set_=updates)
    session.connection().execute(statement, list(rows))
    return len(rows)
