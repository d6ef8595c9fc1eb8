"""Units: normalisation for ``formula`` signals, and the unit a signal's values are in.

Every input of a formula declares its unit and the formula its output unit; ``Config``
refuses a formula where one is missing or cannot be converted, so nothing here guesses.
"""

from __future__ import annotations

from monitor.config import UNIT_SCALE, Config, SignalConfig


def unit_of(config: Config, name: str) -> str | None:
    """The declared unit of an instrument or signal ``name`` (None when undeclared)."""
    for signal in config.signals:
        if signal.id == name:
            return signal.unit
    return config.instrument(name).unit


def conversion(source: str, target: str) -> float:
    """The factor turning a value in ``source`` units into ``target`` units."""
    if source == target:
        return 1.0
    return UNIT_SCALE[source] / UNIT_SCALE[target]


def formula_factors(config: Config, signal: SignalConfig) -> list[float]:
    """Weight times unit conversion for each input of a (validated) ``formula`` signal."""
    target = signal.unit or ""
    return [
        weight * conversion(unit_of(config, name) or "", target)
        for name, weight in zip(signal.inputs, signal.weights or [], strict=True)
    ]


_UNIT_NAMES = {
    "usd": "USD",
    "percent": "%",
    **{u: u.replace("_usd", " of USD") for u in UNIT_SCALE},
}
_KIND_UNITS = {
    "relative_return": "percentage points",
    "ratio_change": "%",
    "drawdown": "%",
    "zscore": "standard deviations",
    "ratio": "ratio",
}


def axis_label(config: Config, signal_id: str) -> str:
    """What a chart's y axis measures, e.g. ``percentage points``, ``billions of USD``."""
    if signal_id == config.stage.id:
        return "stage"
    signal = next((s for s in config.signals if s.id == signal_id), None)
    if signal is None:
        return ""
    if signal.unit is not None:
        return _UNIT_NAMES.get(signal.unit, signal.unit)
    if signal.kind == "change" and signal.mode == "percent":
        return "%"
    if signal.kind in ("level", "change"):
        unit = unit_of(config, signal.inputs[0])
        return _UNIT_NAMES.get(unit, unit) if unit else ""
    return _KIND_UNITS.get(signal.kind, "")
