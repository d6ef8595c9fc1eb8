"""The credit-loss scenario reproduces the essay and responds to every input."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from monitor.scenario import (
    ScenarioInputs,
    input_names,
    run_scenario,
    scenario_record,
    scenario_rows,
)


def test_defaults_reproduce_the_essay_figures() -> None:
    result = run_scenario(ScenarioInputs())
    assert result.consumer_loss_bn == pytest.approx(3760 * 72.1 / 164.5 * 0.2)
    assert result.consumer_loss_bn == pytest.approx(330, abs=0.5)
    assert result.mortgage_loss_bn == pytest.approx(227, abs=0.01)  # the calibration
    assert result.write_down_pct == pytest.approx(13, abs=0.5)


def test_mortgage_loss_follows_the_essay_formula() -> None:
    inputs = replace(ScenarioInputs(), mortgage_loss_rate=1.0, displaced=0.1)
    expected = 72.1e6 * 0.1 * 0.74 * 0.42 * 250_000 / 1e9
    assert run_scenario(inputs).mortgage_loss_bn == pytest.approx(expected)


@pytest.mark.parametrize("name", input_names())
def test_every_input_changes_the_result(name: str) -> None:
    base = ScenarioInputs()
    changed = replace(base, **{name: getattr(base, name) * 0.5})
    assert run_scenario(changed).write_down_pct != run_scenario(base).write_down_pct


def test_write_down_is_net_of_reserves() -> None:
    result = run_scenario(replace(ScenarioInputs(), reserves_bn=0.0, equity_bn=1000.0))
    assert result.write_down_pct == pytest.approx(result.total_loss_bn / 10)


def test_record_has_one_key_per_input_and_result() -> None:
    record = scenario_record(ScenarioInputs(), run_scenario(ScenarioInputs()))
    assert set(input_names()) <= set(record)
    assert {"consumer_loss_bn", "mortgage_loss_bn", "write_down_pct"} <= set(record)
    assert record["essay_write_down_pct"] == 13.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("equity_bn", 0.0, "equity_bn must be between 0.001 and 1e+15"),
        ("displaced", -0.1, "displaced must be between 0 and 1"),
        ("loss_given_default", 1.5, "loss_given_default must be between 0 and 1"),
        ("reserves_bn", -1.0, "reserves_bn must be between 0 and 1e+15"),
        ("mortgage_loss_rate", float("nan"), "mortgage_loss_rate must be between 0 and 1"),
    ],
)
def test_impossible_inputs_are_refused(name: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        run_scenario(replace(ScenarioInputs(), **{name: value}))


def test_rows_put_the_essay_beside_each_input_and_result() -> None:
    rows = scenario_rows(ScenarioInputs(), run_scenario(ScenarioInputs()))
    assert [r["quantity"] for r in rows] == [
        *input_names(),
        "consumer_loss_bn",
        "mortgage_loss_bn",
        "total_loss_bn",
        "write_down_pct",
    ]
    assert rows[0] == {
        "quantity": "consumer_credit_bn",
        "value": 3760.0,
        "essay": 3760.0,
        "note": "",
    }
    assert rows[-1]["essay"] == 13.0 and rows[-2]["essay"] is None
