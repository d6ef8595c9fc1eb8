"""Rules and series for the rules tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from monitor.config import RuleConfig

START = date(2024, 1, 1)


def rule(**overrides: Any) -> RuleConfig:
    """A ``<`` rule on signal ``s`` with threshold -10, overridable key by key."""
    fields: dict[str, Any] = {"name": "r", "signal": "s", "op": "<", "threshold": -10.0}
    return RuleConfig.model_validate({**fields, **overrides})


def daily(values: list[float], start: date = START) -> list[tuple[date, float]]:
    """``values`` on consecutive dates from ``start``."""
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


CONFIG = """
[[instruments]]
symbol = "BTC-USD"
source = "yahoo"
calendar = "crypto"

[[instruments]]
symbol = "GLD"
source = "yahoo"

[[signals]]
id = "btc_vs_gold"
kind = "relative_return"
inputs = ["BTC-USD", "GLD"]
window = 90

[[signals]]
id = "btc_drawdown"
kind = "drawdown"
inputs = ["BTC-USD"]

[stage]
names = ["bitcoin", "gold"]
stages = [["deep"], ["gold_wins"]]

[[rules]]
name = "deep"
signal = "btc_drawdown"
op = "<"
threshold = -40.0
clear_threshold = -30.0
for = 2
summary = "{rule}: Bitcoin {value:.1f}% below its high on {date}"

[[rules]]
name = "gold_wins"
signal = "btc_vs_gold"
op = "<"
threshold = -30.0
labels = { team = "macro" }

[[rules]]
name = "stage"
signal = "fire_alarm_stage"
op = ">="
threshold = 2.0
severity = "critical"

[alerts]
default_channels = ["ops"]
repeat_interval = "7d"

[channels.ops]
type = "webhook"
url = "http://127.0.0.1:9/hook"

[channels.team]
type = "webhook"
url = "http://127.0.0.1:9/team"
"""
