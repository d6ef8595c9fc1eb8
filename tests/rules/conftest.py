"""A small config (two signals, three rules, a stage) on a migrated database of each backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete

from monitor.config import Config, parse_config
from monitor.evaluation import evaluate_alerts
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope
from monitor.store.models import Observation, SignalValue
from tests.rules.helpers import CONFIG

NOW = datetime(2024, 6, 1, tzinfo=UTC)


FED_FROM, FED_UNTIL = date(2022, 1, 1), date(2026, 12, 31)


def feed_inputs(rt: Runtime) -> Runtime:
    """Every instrument observed daily from 2022 through 2026, so no input is stale.

    Rules tests put signal values directly; without observations every input would be an
    instrument never fetched, which DataStale reports, and those alerts are not what they test.
    """
    days = range((FED_UNTIL - FED_FROM).days + 1)
    with session_scope(rt.engine) as session:
        session.add_all(
            Observation(
                symbol=instrument.symbol,
                date=FED_FROM + timedelta(days=n),
                available_date=FED_FROM + timedelta(days=n),
                close=100.0,
                source=instrument.source,
                fetched_at=NOW,
            )
            for instrument in rt.config.instruments
            for n in days
        )
    return rt


@pytest.fixture
def small(db_url: str) -> Iterator[Runtime]:
    """The small config on a migrated database whose inputs are fresh."""
    rt = open_runtime(None, db_url)
    yield feed_inputs(Runtime(parse_config(CONFIG, database_url=db_url), rt.engine))
    rt.close()


def put_values(rt: Runtime, signal: str, values: list[tuple[date, float]]) -> None:
    """Replace the stored values of ``signal``."""
    with session_scope(rt.engine) as session:
        session.execute(delete(SignalValue).where(SignalValue.signal == signal))
        session.add_all(
            SignalValue(signal=signal, date=d, value=v, computed_at=NOW) for d, v in values
        )


def evaluate(rt: Runtime, as_of: date, config: Config | None = None):
    """One persisted evaluation as of ``as_of``."""
    with session_scope(rt.engine) as session:
        return evaluate_alerts(session, config or rt.config, as_of=as_of, now=NOW)


@pytest.fixture
def sqlite_runtime(sqlite_url: str) -> Iterator[Runtime]:
    """The small config on a migrated SQLite database (for tests that loop many times)."""
    rt = open_runtime(None, sqlite_url)
    yield feed_inputs(Runtime(parse_config(CONFIG, database_url=sqlite_url), rt.engine))
    rt.close()
