"""Timestamps are timezone-aware UTC on SQLite and PostgreSQL; SQLite keeps its stored text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, Engine, func, select, text
from sqlalchemy.exc import StatementError

from monitor.cli import run
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import Base, ChannelState, JobRun
from monitor.store.types import UtcDateTime
from tests.api.seed import NOW, seed

NEW_YORK_WINTER = timezone(timedelta(hours=-5))


def test_every_timestamp_column_is_utc_datetime() -> None:
    columns = [c for table in Base.metadata.tables.values() for c in table.columns]
    timestamps = [c for c in columns if isinstance(c.type, DateTime | UtcDateTime)]
    assert len(timestamps) >= 18  # every table's times, including those added later
    assert [str(c) for c in timestamps if not isinstance(c.type, UtcDateTime)] == []


def test_times_come_back_aware_utc_as_the_same_instant(engine: Engine) -> None:
    local = datetime(2026, 2, 20, 7, 0, 0, 123456, tzinfo=NEW_YORK_WINTER)
    with session_scope(engine) as session:
        session.add(ChannelState(channel="ny", disabled_at=local))
        session.add(ChannelState(channel="utc", disabled_at=NOW))
    with session_scope(engine) as session:
        read = dict(session.execute(select(ChannelState.channel, ChannelState.disabled_at)).all())
        latest = session.scalar(select(func.max(ChannelState.disabled_at)))
    assert read == {"ny": datetime(2026, 2, 20, 12, 0, 0, 123456, tzinfo=UTC), "utc": NOW}
    assert all(moment.tzinfo is UTC for moment in [*read.values(), latest])
    assert latest == datetime(2026, 2, 20, 12, 0, 0, 123456, tzinfo=UTC)


def test_comparisons_bind_aware_times_as_utc(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(ChannelState(channel="c", disabled_at=NOW))
    just_after_in_new_york = (NOW + timedelta(seconds=1)).astimezone(NEW_YORK_WINTER)
    with session_scope(engine) as session:
        query = select(ChannelState.channel).where(
            ChannelState.disabled_at < just_after_in_new_york
        )
        assert session.scalars(query).all() == ["c"]


@pytest.mark.parametrize("bad", [datetime(2026, 2, 20, 12, 0), date(2026, 2, 20)])
def test_naive_times_are_refused(engine: Engine, bad: object) -> None:
    with pytest.raises(StatementError, match="timezone-aware"), session_scope(engine) as session:
        session.add(JobRun(job="x", last_started_at=bad))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_sqlite_stores_the_same_utc_text_as_before_and_reads_old_rows(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(ChannelState(channel="ny", disabled_at=NOW.astimezone(NEW_YORK_WINTER)))
    with engine.begin() as connection:
        stored = connection.execute(text("SELECT disabled_at FROM channel_states")).scalar()
        # rows an earlier version wrote, and SQLite's own CURRENT_TIMESTAMP format
        connection.execute(
            text(
                "INSERT INTO channel_states (channel, disabled_at) VALUES "
                "('old', '2026-02-20 12:00:00.000000'), ('shell', '2026-02-20 12:00:00')"
            )
        )
    with session_scope(engine) as session:
        read = dict(session.execute(select(ChannelState.channel, ChannelState.disabled_at)).all())
    engine.dispose()
    assert stored == "2026-02-20 12:00:00.000000"
    assert read == {"ny": NOW, "old": NOW, "shell": NOW}


def test_listings_show_utc_offsets_on_every_backend(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(engine)
    assert run(["--db", db_url, "deliveries", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["created_at"] for row in rows} == {"2026-02-20T12:00:00+00:00"}
