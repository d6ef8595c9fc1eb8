"""Unit normalisation for ``formula`` signals.

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


_UNIT_WORDS = {
    "usd": "USD",
    "thousands_usd": "thousands of USD",
    "millions_usd": "millions of USD",
    "billions_usd": "billions of USD",
    "trillions_usd": "trillions of USD",
    "percent": "%",
}
_KIND_UNITS = {"relative_return": "pp", "ratio_change": "%", "drawdown": "%", "zscore": "σ"}


def display_unit(config: Config, name: str) -> str:
    """The unit a signal's values are read in, for axes and labels ("pp", "%", ...).

    A ratio and an instrument without a declared unit have none (""). The stage is "stage".
    """
    signal = next((s for s in config.signals if s.id == name), None)
    if signal is None:
        return "stage" if name == config.stage.id else _UNIT_WORDS.get(unit_of(config, name), "")
    if signal.kind in _KIND_UNITS:
        return _KIND_UNITS[signal.kind]
    if signal.kind == "change" and signal.mode == "percent":
        return "%"
    if signal.kind == "formula":
        return _UNIT_WORDS.get(signal.unit or "", "")
    return "" if signal.kind == "ratio" else display_unit(config, signal.inputs[0])
