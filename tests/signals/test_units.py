"""Formula units: declared on every input, converted (millions, billions of USD), never guessed."""

from __future__ import annotations

import pytest

from monitor.config import default_config_text, parse_config
from monitor.errors import ConfigError
from monitor.signals.units import formula_factors


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('unit = "millions_usd"\n', ""), "input 'WALCL' has no 'unit'"),
        (('unit = "billions_usd"\ndescription = "USD', 'description = "USD'), "needs a 'unit'"),
        (('unit = "billions_usd"\nperiod = "day"', 'unit = "percent"\nperiod = "day"'), "cannot"),
    ],
)
def test_formula_units_must_be_declared_and_convertible(edit, message) -> None:
    text = default_config_text().replace(*edit, 1)
    assert text != default_config_text()
    with pytest.raises(ConfigError, match=message):
        parse_config(text)


def test_units_convert_millions_and_billions() -> None:
    config = parse_config(default_config_text())
    signal = next(s for s in config.signals if s.id == "usd_liquidity")
    assert formula_factors(config, signal) == [1e-3, -1e-3, -1.0]
