"""The engine: the stage from the rules' states, and rules that read the stage."""

from __future__ import annotations

from datetime import timedelta

from monitor.config import parse_config
from monitor.rules.engine import evaluate_rules, rule_fingerprint
from monitor.rules.evaluator import AlertState
from tests.rules.helpers import CONFIG, START, daily

CONFIG_ = parse_config(CONFIG)


def day(n: int):
    return START + timedelta(days=n)


def test_stage_is_the_highest_firing_stage_and_keeps_states_between_values() -> None:
    series = {
        # "deep" (stage 1) needs two dates; fires on day 1, resolves on day 4
        "btc_drawdown": daily([-45, -46, -47, -47, -10]),
        # "gold_wins" (stage 2) has values only on days 0 and 3: it keeps firing in between
        "btc_vs_gold": [(day(0), -35.0), (day(3), 0.0)],
    }
    result = evaluate_rules(CONFIG_, series, {})
    assert result.stage == [(day(n), v) for n, v in enumerate([2.0, 2.0, 2.0, 1.0, 0.0])]
    stage_rule = next(o for o in result.outcomes if o.rule.name == "stage")
    assert [(d.date, d.state) for d in stage_rule.decisions if d.event] == [
        (day(0), "firing"),
        (day(3), "resolved"),
    ]


def test_stage_starts_from_the_stored_states() -> None:
    deep = next(r for r in CONFIG_.rules if r.name == "deep")
    states = {rule_fingerprint(deep): AlertState(state="firing", last_date=day(0))}
    result = evaluate_rules(CONFIG_, {"btc_vs_gold": [(day(1), 0.0)]}, states)
    assert result.stage == [(day(1), 1.0)]
