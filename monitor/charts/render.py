"""A signal chart as PNG bytes from data: the line, its rules' thresholds, the firing periods.

Pure drawing: everything it shows arrives in a :class:`ChartData` (read by
:mod:`monitor.charts.data`). Headless (matplotlib's Agg canvas through the object API, no pyplot
global state), so the email sender can render from worker threads and ``firealarm chart`` from
the CLI.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from monitor.config import RuleConfig

Series = list[tuple[date, float]]


@dataclass(frozen=True)
class ChartData:
    """What one chart shows: a signal's values (in date order, not empty), its rules, the
    (start, end) spans they were firing, and its inputs (each in date order)."""

    signal: str
    values: Series
    rules: Sequence[RuleConfig] = ()
    firing: Sequence[tuple[date, date]] = ()
    inputs: Mapping[str, Series] = field(default_factory=dict)


def render_chart(data: ChartData, *, show_inputs: bool = False) -> bytes:
    """A PNG of the signal with threshold lines and shaded firing periods.

    ``show_inputs`` adds a lower panel with the signal's inputs rebased to 100 at the first
    date, like the essay's two-line charts (e.g. Bitcoin against the Nasdaq-100).
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
    if rules:
        main.legend(loc="best", fontsize="small")
    main.set_title(data.signal)
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
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


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
            axis.axvspan(
                date2num(max(start, first)),
                date2num(end),
                color="#c62828",
                alpha=0.15,
                lw=0,
                label=label,
            )
            label = "_nolegend_"
