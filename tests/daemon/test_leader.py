"""Single instance on SQLite (file lock) and leader election on PostgreSQL (advisory lock)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.daemon.leader import AdvisoryLeadership, leadership_for
from monitor.errors import AlreadyRunningError, StoreError
from monitor.store.database import create_db_engine
from tests.conftest import Bystander

NOW = datetime(2026, 11, 24, 1, 2, 3, tzinfo=UTC)


def test_second_lock_on_a_sqlite_database_names_the_holder(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url)
    first = leadership_for(engine, NOW)
    assert first.refresh()
    with pytest.raises(AlreadyRunningError) as error:
        leadership_for(engine, NOW)
    message = str(error.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}" in message
    assert "2026-11-24 01:02:03" in message
    assert error.value.exit_code == 1
    first.release()
    again = leadership_for(engine, NOW)  # released: the next daemon may start
    assert again.refresh()
    again.release()


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(StoreError, match="database file"):
        leadership_for(create_db_engine("sqlite://"), NOW)


def test_one_postgres_leader_and_takeover_when_it_goes(postgres_url: str) -> None:
    engine = create_db_engine(postgres_url)
    a, b = AdvisoryLeadership(engine), AdvisoryLeadership(engine)
    assert a.refresh()
    assert not b.refresh()
    assert a.refresh()  # staying leader is idempotent
    a.release()
    assert b.refresh()
    assert not a.refresh()
    b.release()
    engine.dispose()


def test_leader_whose_session_is_killed_loses_leadership(
    postgres_url: str, bystander: Bystander
) -> None:
    engine = create_db_engine(postgres_url)
    leader, follower = AdvisoryLeadership(engine), AdvisoryLeadership(engine)
    assert leader.refresh()
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.execute(
            text(
                # Only this test's own database: advisory locks of other databases on the
                # shared server (another deployment, another test run) are none of ours.
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l "
                "JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND l.granted "
                "AND d.datname = current_database() AND l.pid <> pg_backend_pid()"
            )
        ).all()
    admin.dispose()
    assert killed == [(True,)]
    assert bystander.alive()  # the same keys held in another database were not touched
    assert not leader.refresh()
    assert follower.refresh()
    follower.release()
    engine.dispose()


def test_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    lock = leadership_for(engine, NOW)
    assert (tmp_path / "x.db.lock").exists()
    lock.release()


def test_database_in_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}")
    with pytest.raises(StoreError, match=r"cannot create the lock file .*x\.db\.lock"):
        leadership_for(engine, NOW)
