"""What a chart shows, read from the store; and the chart an alert's notification carries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.errors import DataError
from monitor.queries.periods import firing_periods
from monitor.signals.units import axis_label
from monitor.store.database import session_scope
from monitor.store.models import Observation, SignalValue

if TYPE_CHECKING:
    from monitor.charts.render import ChartData

Series = list[tuple[date, float]]
ALERT_CHART_DAYS = 365


def render_signal_chart(
    session: Session,
    config: Config,
    signal_id: str,
    *,
    since: date | None = None,
    until: date | None = None,
    show_inputs: bool = False,
    mark: date | None = None,
) -> bytes:
    """A PNG of ``signal_id`` over [since, until] with its thresholds and firing periods.

    ``mark`` is the date a notification is about, drawn as a point and a vertical line.
    """
    from monitor.charts.render import render_chart  # matplotlib: only when drawing

    data = chart_data(
        session, config, signal_id, since=since, until=until, show_inputs=show_inputs, mark=mark
    )
    return render_chart(data, show_inputs=show_inputs)


def chart_data(
    session: Session,
    config: Config,
    signal_id: str,
    *,
    since: date | None = None,
    until: date | None = None,
    show_inputs: bool = False,
    mark: date | None = None,
) -> ChartData:
    """What the chart of ``signal_id`` over [since, until] shows (see ``render_signal_chart``)."""
    from monitor.charts.render import ChartData  # with matplotlib: only when drawing

    values = _signal_series(session, signal_id, since, until)
    if not values:
        raise DataError(f"signal {signal_id!r} has no stored values in the requested range")
    rules = [r for r in config.rules if r.signal == signal_id]
    return ChartData(
        signal=signal_id,
        values=values,
        rules=rules,
        firing=firing_periods(session, rules, values[-1][0]),
        inputs=_input_series(session, config, signal_id, values[0][0], values[-1][0])
        if show_inputs
        else {},
        unit=axis_label(config, signal_id),
        whole_numbers=signal_id == config.stage.id,
        mark=mark,
    )


def alert_chart_renderer(config: Config, engine: Engine) -> Callable[[str, date], bytes | None]:
    """Renders the chart an alert carries: its signal over the last year up to its date, the
    date marked. An alert about an instrument (DataStale) has no signal to draw: None."""
    drawable = {s.id for s in config.signals} | {config.stage.id}

    def render(signal: str, day: date) -> bytes | None:
        if signal not in drawable:
            return None
        since = day - timedelta(days=ALERT_CHART_DAYS)
        with session_scope(engine) as session:
            return render_signal_chart(session, config, signal, since=since, until=day, mark=day)

    return render


def _signal_series(
    session: Session, signal_id: str, since: date | None, until: date | None
) -> Series:
    query = select(SignalValue.date, SignalValue.value).where(SignalValue.signal == signal_id)
    if since is not None:
        query = query.where(SignalValue.date >= since)
    if until is not None:
        query = query.where(SignalValue.date <= until)
    return [(d, v) for d, v in session.execute(query.order_by(SignalValue.date))]


def _input_series(
    session: Session, config: Config, signal_id: str, first: date, last: date
) -> dict[str, Series]:
    signal = next((s for s in config.signals if s.id == signal_id), None)
    if signal is None:
        return {}
    signal_ids = {s.id for s in config.signals}
    result: dict[str, Series] = {}
    for name in signal.inputs:
        if name in signal_ids:
            series = _signal_series(session, name, first, last)
        else:
            query = (
                select(Observation.available_date, Observation.close)
                .where(Observation.symbol == name)
                .where(Observation.available_date.between(first, last))
                .order_by(Observation.available_date)
            )
            series = [(d, v) for d, v in session.execute(query)]
        if series and series[0][1]:
            result[name] = series
    return result
