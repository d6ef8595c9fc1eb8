"""Signal charts: a PNG with the signal, its thresholds and its firing periods."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from matplotlib.dates import date2num
from matplotlib.image import imread

from monitor.charts.data import chart_data, render_signal_chart
from monitor.charts.render import chart_figure
from monitor.config import load_config
from monitor.errors import DataError
from monitor.queries.periods import firing_periods
from monitor.store.database import create_db_engine, session_scope
from monitor.store.migrate import upgrade
from monitor.store.models import AlertEvent, Observation, SignalValue
from tests.chart_pixels import mark_columns

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


def _artist(figure, gid):
    return next(a for a in figure.axes[0].get_children() if a.get_gid() == gid)


def test_the_notified_date_is_a_point_and_a_vertical_line(session):
    config = load_config(None)
    mark = date(2025, 11, 1)
    figure = chart_figure(
        chart_data(session, config, "btc_vs_ndx", until=date(2025, 12, 17), mark=mark)
    )

    line, point = _artist(figure, "trigger-line"), _artist(figure, "trigger-point")
    assert list(line.get_xdata()) == [date2num(mark)] * 2
    assert list(point.get_xdata()) == [date2num(mark)]
    assert point.get_ydata()[0] == pytest.approx((mark - START).days / 10 - 15)  # its value
    # The PNG's pixels: one purple column, exactly where the axes put that date.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")  # lays the figure out: now data maps to pixels
    png = buffer.getvalue()
    x_pixel = figure.axes[0].transData.transform((date2num(mark), 0))[0]
    columns = mark_columns(png)
    assert columns and all(abs(c - x_pixel) <= 2 for c in columns)
    plain = render_signal_chart(session, config, "btc_vs_ndx", until=date(2025, 12, 17))
    assert mark_columns(plain) == []


def test_thresholds_dashed_unit_on_the_axis_and_a_firing_day_visible(session):
    config = load_config(None)
    last = date(2025, 11, 1)  # the second firing period starts on the last date drawn
    figure = chart_figure(chart_data(session, config, "btc_vs_ndx", until=last, mark=last))
    axes = figure.axes[0]
    threshold = next(line for line in axes.get_lines() if "<" in line.get_label())
    assert threshold.get_linestyle() == "--"
    assert axes.get_ylabel() == "percentage points"
    spans = [p for p in axes.patches if p.get_label() in ("firing", "_nolegend_")]
    widths = [p.get_width() for p in spans]
    assert len(spans) == 2 and min(widths) >= 1  # a period opened that day shows a day wide


def test_stage_chart_has_whole_number_ticks(session):
    config = load_config(None)
    with session.begin_nested():
        for n, stage in enumerate([0, 1, 1, 2, 3, 2]):
            day = START + timedelta(days=n)
            session.add(SignalValue(signal=config.stage.id, date=day, value=stage, computed_at=NOW))
    axes = chart_figure(chart_data(session, config, config.stage.id)).axes[0]
    ticks = [t for t in axes.get_yticks() if axes.get_ylim()[0] <= t <= axes.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert axes.get_ylabel() == "stage"
