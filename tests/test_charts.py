"""Signal charts: a PNG with the signal, its thresholds and its firing periods."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from matplotlib.image import imread

from monitor.charts.data import render_signal_chart
from monitor.config import load_config
from monitor.errors import DataError
from monitor.queries.periods import firing_periods
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import AlertEvent, Observation, SignalValue

NOW = datetime(2026, 3, 3, tzinfo=UTC)
START = date(2025, 6, 1)


@pytest.fixture
def session(sqlite_url):
    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    with session_scope(engine) as session:
        for n in range(200):
            day = START + timedelta(days=n)
            session.add(
                SignalValue(signal="btc_vs_ndx", date=day, value=n / 10 - 15, computed_at=NOW)
            )
            for symbol, price in (("BTC-USD", 100_000 - 50 * n), ("^NDX", 20_000 + n)):
                session.add(
                    Observation(
                        symbol=symbol,
                        date=day,
                        available_date=day,
                        close=price,
                        source="yahoo",
                        fetched_at=NOW,
                    )
                )
        for state, day in [
            ("firing", date(2025, 7, 1)),
            ("resolved", date(2025, 7, 20)),
            ("firing", date(2025, 11, 1)),
        ]:
            session.add(
                AlertEvent(
                    rule="btc_vs_ndx",
                    fingerprint="fp",
                    state=state,
                    reason="x",
                    date=day,
                    signal="btc_vs_ndx",
                    value=-30.0,
                    threshold=-25.0,
                    severity="warning",
                    recorded_at=NOW,
                )
            )
        session.flush()
        yield session
    engine.dispose()


def test_chart_is_a_png_of_the_requested_range(session):
    config = load_config(None)
    png = render_signal_chart(session, config, "btc_vs_ndx", since=date(2025, 7, 1))
    image = imread(io.BytesIO(png), format="png")
    assert image.shape[:2] == (450, 900)
    taller = imread(
        io.BytesIO(render_signal_chart(session, config, "btc_vs_ndx", show_inputs=True))
    )
    assert taller.shape[:2] == (700, 900)  # the rebased inputs panel


def test_firing_periods_pair_firing_with_resolved_and_leave_open_ones_open(session):
    config = load_config(None)
    rules = [r for r in config.rules if r.signal == "btc_vs_ndx"]
    assert firing_periods(session, rules, date(2025, 12, 17)) == [
        (date(2025, 7, 1), date(2025, 7, 20)),
        (date(2025, 11, 1), date(2025, 12, 17)),
    ]


def test_no_values_is_a_clear_error(session):
    with pytest.raises(DataError, match="signal 'igv_vs_ndx' has no stored values"):
        render_signal_chart(session, load_config(None), "igv_vs_ndx")
