"""Locks across processes, and every advisory lock key firealarm takes on PostgreSQL.

- The leader lock (``LEADER_LOCK_KEY``): the replica holding it runs the scheduled jobs
  (:mod:`monitor.daemon.leader`).
- The migration lock: replicas starting together upgrade the schema one at a time.
- The evaluation lock: evaluations run one at a time (the daemon, `firealarm evaluate`,
  replicas). An evaluation reads inputs, stored values and rule states, then writes what it
  derived; two overlapping ones could each write conclusions from data the other has already
  replaced. So each takes, first thing in its transaction, a lock held until that transaction
  ends: a transaction-level advisory lock on PostgreSQL, and on SQLite the database's write
  lock, which a write that changes nothing acquires (SQLite then keeps it to the end of the
  transaction; other readers go on, other writers wait up to the busy timeout).
- SQLite's write lock alone (:func:`lock_sqlite_writes`): a transaction that decides on what
  it reads and then writes, as superseding held deliveries does (PostgreSQL locks the rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from monitor.errors import StoreError
from monitor.store.database import describe_operational_error

# Arbitrary constants naming firealarm's locks among a server's advisory locks ("FIRE" + n).
# Advisory locks are scoped to one database, so deployments on other databases never meet them.
LEADER_LOCK_KEY = 0x46495245
MIGRATION_LOCK_KEY = LEADER_LOCK_KEY + 1
EVALUATION_LOCK_KEY = LEADER_LOCK_KEY + 2


def lock_evaluation(session: Session) -> None:
    """Wait for any other evaluation to finish; keep the next one waiting until this commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVALUATION_LOCK_KEY})
    else:
        lock_sqlite_writes(session)


def lock_sqlite_writes(session: Session) -> None:
    """On SQLite, take the write lock first thing in the transaction, so what it reads next
    stays current until it commits (other writers wait); nothing on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM pending_changes WHERE 0 = 1"))


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema upgrades of replicas starting together (PostgreSQL); no-op on SQLite."""
    if engine.dialect.name == "sqlite":
        yield
        return
    try:
        connection = engine.connect()
    except OperationalError as exc:
        raise StoreError(describe_operational_error(engine, exc)) from exc
    with connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
