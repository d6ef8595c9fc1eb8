"""``firealarm backtest --notifications``: the replayed transitions as grouped notifications."""

from __future__ import annotations

from monitor.config import parse_config
from monitor.notify.backtest import backtest_notifications
from monitor.rules.engine import evaluate_rules
from tests.rules.helpers import CONFIG, daily

SERIES = {"btc_drawdown": daily([-45, -46]), "btc_vs_gold": daily([0, -35])}
GROUPED = CONFIG.replace("[alerts]\n", '[alerts]\ngroup_by = ["severity"]\n')
INHIBITED = (
    GROUPED
    + """
[[inhibit_rules]]
source_matchers = ["alertname=stage"]
target_matchers = ["severity=warning"]
"""
)


def rows(text: str) -> list[tuple]:
    config = parse_config(text)
    outcomes = evaluate_rules(config, SERIES, {}).outcomes
    return [
        (r["date"], r["group"], r["status"], r["count"], r["channels"])
        for r in backtest_notifications(config, outcomes)
    ]


def test_transitions_of_one_date_and_group_are_one_notification() -> None:
    day = daily([0, 0])[-1][0]
    # deep (for = 2) and gold_wins both fire on the second date, and with them the stage.
    assert rows(GROUPED) == [
        (day, '{}:{severity="warning"}', "firing", 2, "ops"),
        (day, '{}:{severity="critical"}', "firing", 1, "ops"),
    ]


def test_a_firing_source_inhibits_its_targets_on_the_same_date() -> None:
    day = daily([0, 0])[-1][0]
    assert rows(INHIBITED) == [(day, '{}:{severity="critical"}', "firing", 1, "ops")]
