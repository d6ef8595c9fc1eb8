"""The schema comes only from Alembic, and ``upgrade head`` yields exactly the models."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from monitor.store.database import create_db_engine
from monitor.store.migrate import current_revision, head_revision, upgrade
from monitor.store.models import Base


def test_upgrade_head_matches_models(db_url: str) -> None:
    engine = create_db_engine(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_reaches_head(db_url: str) -> None:
    engine = create_db_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"observations", "fetch_runs", "signal_values", "alert_events", "deliveries"} <= tables


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url)
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000}


def test_the_revisions_read_without_alembic_are_alembics(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from monitor.store.migrate import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = create_db_engine(db_url)
    assert current_revision(engine) is None
    upgrade(engine, "0001")
    with engine.connect() as connection:
        assert current_revision(engine) == "0001"
        assert MigrationContext.configure(connection).get_current_revision() == "0001"
    engine.dispose()


def test_rows_stored_before_0005_are_their_sources(db_url: str) -> None:
    engine = create_db_engine(db_url)
    upgrade(engine, "0004")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO observations (symbol, date, available_date, close, source, fetched_at)"
                " VALUES ('WALCL', '2025-06-25', '2025-06-26', 6.7e6, 'fred', :at)"
            ),
            {"at": datetime(2025, 6, 26, tzinfo=UTC)},
        )
    upgrade(engine)
    with engine.connect() as connection:
        provider = connection.execute(text("SELECT provider FROM observations")).scalar_one()
    engine.dispose()
    assert provider == "fred"
