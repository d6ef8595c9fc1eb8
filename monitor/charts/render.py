"""A signal chart as PNG bytes from data: the line, its rules' thresholds, the firing periods,
the unit, and the date a notification is about.

Pure drawing: everything it shows arrives in a :class:`ChartData` (read by
:mod:`monitor.charts.data`). Headless (matplotlib's Agg canvas through the object API, no pyplot
global state), so the email sender can render from worker threads and ``firealarm chart`` from
the CLI.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from monitor.config import RuleConfig

Series = list[tuple[date, float]]
MARK_COLOUR = "#6a1b9a"  # purple: apart from the red thresholds and the blue line


@dataclass(frozen=True)
class ChartData:
    """What one chart shows: a signal's values (in date order, not empty), its rules, the
    (start, end) spans they were firing, and its inputs (each in date order)."""

    signal: str
    values: Series
    rules: Sequence[RuleConfig] = ()
    firing: Sequence[tuple[date, date]] = ()
    inputs: Mapping[str, Series] = field(default_factory=dict)
    unit: str = ""  # what the y axis measures, e.g. "percentage points"
    whole_numbers: bool = False  # integer ticks (the stage)
    mark: date | None = None  # the date a notification is about


def render_chart(data: ChartData, *, show_inputs: bool = False) -> bytes:
    """A PNG of :func:`chart_figure`."""
    buffer = io.BytesIO()
    chart_figure(data, show_inputs=show_inputs).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(data: ChartData, *, show_inputs: bool = False) -> Figure:
    """The signal with dashed thresholds, shaded firing periods and its unit on the axis.

    ``data.mark`` is drawn as a point on the line and a vertical line (``gid`` ``trigger-point``
    and ``trigger-line``). ``show_inputs`` adds a lower panel with the signal's inputs rebased
    to 100 at the first date, like the essay's two-line charts (e.g. Bitcoin against the
    Nasdaq-100).
    """
    values, rules, inputs = data.values, data.rules, data.inputs
    panels = 2 if show_inputs and inputs else 1
    figure = Figure(figsize=(9, 4.5 if panels == 1 else 7), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    main = axes[0]
    main.plot([d for d, _ in values], [v for _, v in values], color="#1f4e79", lw=1.4)
    _thresholds(main, rules)
    _firing_spans(main, data.firing, values[0][0])
    if data.mark is not None:
        _mark(main, values, data.mark)
    if rules or data.mark is not None:
        main.legend(loc="best", fontsize="small")
    main.set_title(data.signal)
    main.set_ylabel(data.unit)
    if data.whole_numbers:
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
    x = date2num(mark)
    axis.axvline(x, color=MARK_COLOUR, lw=2, gid="trigger-line", label=f"alert {mark}")
    if seen:
        value = seen[-1][1]
        axis.plot([x], [value], "o", color=MARK_COLOUR, ms=7, zorder=5, gid="trigger-point")


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


def _firing_spans(axis: Axes, spans: Sequence[tuple[date, date]], first: date) -> None:
    label = "firing"
    for start, end in spans:
        if end >= first:
            # At least a day wide: a period that starts on the last date shows, not zero-width.
            right = max(end, start + timedelta(days=1))
            axis.axvspan(
                date2num(max(start, first)),
                date2num(right),
                color="#c62828",
                alpha=0.15,
                lw=0,
                label=label,
            )
            label = "_nolegend_"
