"""Signal charts as PNG bytes: the line, its rules' thresholds, and the periods it was firing.

The date a notification is about is marked. Headless (matplotlib's Agg canvas through the object
API, no pyplot global state), so senders can render from worker threads and ``firealarm chart``
from the CLI.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Config, RuleConfig
from monitor.errors import DataError
from monitor.queries.periods import firing_periods
from monitor.signals.units import axis_label
from monitor.store.models import Observation, SignalValue

Series = list[tuple[date, float]]
MARK_COLOUR = "#6a1b9a"  # purple: apart from the red thresholds and the blue line


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
    """A PNG of :func:`signal_figure`."""
    figure = signal_figure(
        session, config, signal_id, since=since, until=until, show_inputs=show_inputs, mark=mark
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def signal_figure(
    session: Session,
    config: Config,
    signal_id: str,
    *,
    since: date | None = None,
    until: date | None = None,
    show_inputs: bool = False,
    mark: date | None = None,
) -> Figure:
    """``signal_id`` with dashed thresholds, shaded firing periods and its unit on the axis.

    ``mark`` is the date a notification is about: a point on the line and a vertical line
    (``gid`` ``trigger-point`` and ``trigger-line``). ``show_inputs`` adds a lower panel with
    the signal's inputs rebased to 100 at the first date, like the essay's two-line charts.
    """
    values = _signal_series(session, signal_id, since, until)
    if not values:
        raise DataError(f"signal {signal_id!r} has no stored values in the requested range")
    rules = [r for r in config.rules if r.signal == signal_id]
    inputs = _input_series(session, config, signal_id, values[0][0], values[-1][0])
    panels = 2 if show_inputs and inputs else 1
    figure = Figure(figsize=(9, 4.5 if panels == 1 else 7), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    main = axes[0]
    main.plot([d for d, _ in values], [v for _, v in values], color="#1f4e79", lw=1.4)
    _thresholds(main, rules)
    _firing_spans(main, firing_periods(session, rules, values[-1][0]), values[0][0])
    if mark is not None:
        _mark(main, values, mark)
    if rules or mark is not None:
        main.legend(loc="best", fontsize="small")
    main.set_title(signal_id)
    main.set_ylabel(axis_label(config, signal_id))
    if signal_id == config.stage.id:
        main.yaxis.set_major_locator(MaxNLocator(integer=True))
    main.grid(alpha=0.3)
    if panels == 2:
        for name, series in inputs.items():
            base = series[0][1]
            axes[1].plot([d for d, _ in series], [100 * v / base for _, v in series], label=name)
        axes[1].set_ylabel("rebased to 100")
        axes[1].legend(loc="best", fontsize="small")
        axes[1].grid(alpha=0.3)
    locator = AutoDateLocator()
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return figure


def _mark(axis: Axes, values: Series, mark: date) -> None:
    """The notified date: a vertical line, and a point on the line at its value (as of then)."""
    seen = [(d, v) for d, v in values if d <= mark]
    axis.axvline(mark, color=MARK_COLOUR, lw=2, gid="trigger-line", label=f"alert {mark}")
    if seen:
        axis.plot(
            [mark], [seen[-1][1]], "o", color=MARK_COLOUR, ms=7, zorder=5, gid="trigger-point"
        )


def _thresholds(axis: Axes, rules: Sequence[RuleConfig]) -> None:
    for rule in rules:
        axis.axhline(
            rule.threshold,
            color="#c62828",
            ls="--",
            lw=1,
            label=f"{rule.name} {rule.op} {rule.threshold:g}",
        )
        if rule.clear_threshold is not None:
            axis.axhline(
                rule.clear_threshold,
                color="#2e7d32",
                ls=":",
                lw=1,
                label=f"{rule.name} clears at {rule.clear_threshold:g}",
            )


def _firing_spans(axis: Axes, spans: list[tuple[date, date]], first: date) -> None:
    label = "firing"
    for start, end in spans:
        if end >= first:
            # At least a day wide: a period that starts on the last date shows, not zero-width.
            right = max(end, start + timedelta(days=1))
            axis.axvspan(max(start, first), right, color="#c62828", alpha=0.15, lw=0, label=label)
            label = "_nolegend_"


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
