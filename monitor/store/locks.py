"""Evaluations run one at a time across processes (the daemon, `firealarm evaluate`, replicas).

An evaluation reads inputs, stored values and rule states, then writes what it derived; two
overlapping ones could each write conclusions from data the other has already replaced. So each
takes, first thing in its transaction, a lock held until that transaction ends: a
transaction-level advisory lock on PostgreSQL, and on SQLite the database's write lock, which
a write that changes nothing acquires (SQLite then keeps it to the end of the transaction; other
readers go on, other writers wait up to the busy timeout).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# An arbitrary constant naming "a firealarm evaluation" among advisory locks ("FIRE" + 2; the
# daemon's leader and migration locks are "FIRE" and "FIRE" + 1).
EVALUATION_LOCK_KEY = 0x46495245 + 2


def lock_evaluation(session: Session) -> None:
    """Wait for any other evaluation to finish; keep the next one waiting until this commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVALUATION_LOCK_KEY})
    else:
        session.execute(text("DELETE FROM pending_changes WHERE 0 = 1"))
