"""The dispatcher's kept connection when PostgreSQL closes it (a restart, an idle timeout)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Connection, text

from monitor.errors import StoreError
from monitor.store.database import KeptConnection, create_db_engine


def _backend(connection: Connection) -> int:
    return int(connection.scalar(text("SELECT pg_backend_pid()")) or 0)


def _terminate(kept: KeptConnection, pid: int) -> None:
    # The test's own connection to its own database, from another of its connections.
    with kept.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.commit()


def test_after_its_idle_time_a_closed_connection_is_replaced_unseen(postgres_url: str) -> None:
    kept = KeptConnection(create_db_engine(postgres_url), idle=0.2)
    with kept.transaction() as connection:
        first = _backend(connection)
    _terminate(kept, first)
    time.sleep(0.3)
    with kept.transaction() as connection:  # back through the pool, which pre-pings
        assert _backend(connection) != first
    kept.close()
    kept.engine.dispose()


def test_a_connection_closed_while_in_use_fails_once_then_is_replaced(postgres_url: str) -> None:
    kept = KeptConnection(create_db_engine(postgres_url), idle=3600)
    with kept.transaction() as connection:
        first = _backend(connection)
    _terminate(kept, first)
    with pytest.raises(StoreError, match=r"^database postgresql"), kept.transaction() as connection:
        connection.execute(text("SELECT 1"))
    with kept.transaction() as connection:
        assert _backend(connection) != first
    kept.close()
    kept.engine.dispose()
