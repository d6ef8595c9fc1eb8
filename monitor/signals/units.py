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
