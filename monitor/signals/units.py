"""Unit normalisation for ``formula`` signals: every input declares its unit, nothing is guessed."""

from __future__ import annotations

from monitor.config import UNIT_SCALE, Config, SignalConfig
from monitor.errors import ConfigError


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
    if source in UNIT_SCALE and target in UNIT_SCALE:
        return UNIT_SCALE[source] / UNIT_SCALE[target]
    raise ConfigError(f"cannot convert {source!r} to {target!r}")


def formula_factors(config: Config, signal: SignalConfig) -> list[float]:
    """Weight times unit conversion for each input of a ``formula`` signal.

    A formula without an output unit, or with an input whose unit is undeclared, is a
    ConfigError naming the signal and input.
    """
    if signal.unit is None:
        raise ConfigError(f"signal {signal.id!r}: a 'formula' needs a 'unit' for its output")
    factors = []
    for name, weight in zip(signal.inputs, signal.weights or [], strict=True):
        unit = unit_of(config, name)
        if unit is None:
            raise ConfigError(
                f"signal {signal.id!r}: input {name!r} has no 'unit'; declare it in config "
                f"so the formula can normalise it to {signal.unit!r}"
            )
        try:
            factors.append(weight * conversion(unit, signal.unit))
        except ConfigError as exc:
            raise ConfigError(f"signal {signal.id!r}: input {name!r}: {exc}") from None
    return factors
