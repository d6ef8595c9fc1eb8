"""The essay's credit-loss scenario (DESIGN.md section 8): every input a parameter.

consumer loss = consumer credit (ex student loans) x knowledge workers / employed x displaced
                x loss given default
mortgage loss = knowledge workers x displaced x home-ownership x share with a mortgage
                x average mortgage x mortgage loss rate
write-down    = (consumer loss + mortgage loss - loan-loss reserves) / bank equity capital
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

# The essay's reference figures, shown beside the computed ones.
ESSAY_CONSUMER_LOSS_BN = 330.0
ESSAY_MORTGAGE_LOSS_BN = 227.0
ESSAY_WRITE_DOWN_PCT = 13.0

# The mortgage loss rate is not legible in the essay (its tables are images): this is the rate
# that reproduces its $227bn from the other inputs, 227 / 1,120.434 = 0.2026.
CALIBRATED_MORTGAGE_LOSS_RATE = 0.2026

# Bank balance sheet: FDIC Quarterly Banking Profile, second quarter 2025 (all FDIC-insured
# institutions): total equity capital about $2.5 trillion, total loans $13.1 trillion. The
# exact loan-loss reserve figure was not at hand; $236bn is an estimate of ~1.8% of those loans
# (the industry's reserve coverage in recent QBPs). Override both with --reserves / --equity.
BANK_DATA_QUARTER = "2025Q2"
DEFAULT_RESERVES_BN = 236.0
DEFAULT_EQUITY_BN = 2500.0


@dataclass(frozen=True)
class ScenarioInputs:
    """The scenario's parameters; money in billions of USD, people in millions."""

    consumer_credit_bn: float = 3760.0
    knowledge_workers_m: float = 72.1
    employed_m: float = 164.5
    displaced: float = 0.20
    loss_given_default: float = 1.0
    home_ownership: float = 0.74
    mortgage_share: float = 0.42
    average_mortgage_usd: float = 250_000.0
    mortgage_loss_rate: float = CALIBRATED_MORTGAGE_LOSS_RATE
    reserves_bn: float = DEFAULT_RESERVES_BN
    equity_bn: float = DEFAULT_EQUITY_BN


INPUT_HELP: dict[str, str] = {
    "consumer_credit_bn": "Consumer credit excluding student loans, $bn (essay: $3.76T).",
    "knowledge_workers_m": "Knowledge workers, millions (essay: 72.1M).",
    "employed_m": "Employed people, millions (essay: 164.5M).",
    "displaced": "Share of knowledge workers displaced, 0-1 (essay: 0.20).",
    "loss_given_default": "Loss given default on their consumer credit, 0-1 (essay: 1.0).",
    "home_ownership": "Home-ownership rate of knowledge workers, 0-1 (essay: 74%).",
    "mortgage_share": "Share of home owners with a mortgage, 0-1 (essay: 42%).",
    "average_mortgage_usd": "Average mortgage balance, USD (essay: $250k).",
    "mortgage_loss_rate": "Loss rate on displaced workers' mortgages, 0-1 "
    "(0.2026: calibrated to the essay's $227bn).",
    "reserves_bn": f"Banks' loan-loss reserves, $bn (FDIC QBP {BANK_DATA_QUARTER}: estimate).",
    "equity_bn": f"Banks' total equity capital, $bn (FDIC QBP {BANK_DATA_QUARTER}: ~$2.5T).",
}


# The essay's own inputs, shown beside the ones used; short labels for the table.
ESSAY_INPUTS: dict[str, float | None] = {
    "consumer_credit_bn": 3760.0,
    "knowledge_workers_m": 72.1,
    "employed_m": 164.5,
    "displaced": 0.20,
    "loss_given_default": 1.0,
    "home_ownership": 0.74,
    "mortgage_share": 0.42,
    "average_mortgage_usd": 250_000.0,
    "mortgage_loss_rate": None,
    "reserves_bn": None,
    "equity_bn": None,
}
INPUT_LABELS: dict[str, str] = {
    "mortgage_loss_rate": "calibrated to the essay",
    "reserves_bn": f"FDIC QBP {BANK_DATA_QUARTER}, estimated",
    "equity_bn": f"FDIC QBP {BANK_DATA_QUARTER}",
}


@dataclass(frozen=True)
class ScenarioResult:
    """The losses and the capital write-down, with the essay's figures beside them."""

    consumer_loss_bn: float
    mortgage_loss_bn: float
    total_loss_bn: float
    write_down_pct: float
    essay_consumer_loss_bn: float = ESSAY_CONSUMER_LOSS_BN
    essay_mortgage_loss_bn: float = ESSAY_MORTGAGE_LOSS_BN
    essay_write_down_pct: float = ESSAY_WRITE_DOWN_PCT


# Shares and rates are fractions of a whole.
SHARES = frozenset(
    {"displaced", "loss_given_default", "home_ownership", "mortgage_share", "mortgage_loss_rate"}
)
# The model divides by these: at least a thousand people or a million dollars, so no quotient
# overflows to infinity.
DIVISORS = frozenset({"employed_m", "equity_bn"})
SMALLEST_DIVISOR = 1e-3
# Amounts (dollars, people) far beyond any economy, so results stay finite.
CEILING = 1e15


def input_bounds(name: str) -> tuple[float, float]:
    """The smallest and largest value the input ``name`` can take."""
    if name in SHARES:
        return 0.0, 1.0
    return (SMALLEST_DIVISOR if name in DIVISORS else 0.0), CEILING


def run_scenario(inputs: ScenarioInputs) -> ScenarioResult:
    """Compute the scenario; an input outside :func:`input_bounds` is a ValueError."""
    for name in input_names():
        low, high = input_bounds(name)
        if not low <= getattr(inputs, name) <= high:
            raise ValueError(f"{name} must be between {low:g} and {high:g}")
    knowledge_share = inputs.knowledge_workers_m / inputs.employed_m
    consumer = (
        inputs.consumer_credit_bn * knowledge_share * inputs.displaced * inputs.loss_given_default
    )
    mortgaged_people = (
        inputs.knowledge_workers_m * 1e6 * inputs.displaced * inputs.home_ownership
    ) * inputs.mortgage_share
    mortgage = mortgaged_people * inputs.average_mortgage_usd * inputs.mortgage_loss_rate / 1e9
    total = consumer + mortgage
    write_down = (total - inputs.reserves_bn) / inputs.equity_bn * 100.0
    return ScenarioResult(consumer, mortgage, total, write_down)


def scenario_record(inputs: ScenarioInputs, result: ScenarioResult) -> dict[str, float | str]:
    """One flat mapping: one key per input and per result, plus where bank data come from."""
    return {**asdict(inputs), **asdict(result), "bank_data_quarter": BANK_DATA_QUARTER}


SCENARIO_COLUMNS = ["quantity", "value", "essay", "note"]


def scenario_rows(inputs: ScenarioInputs, result: ScenarioResult) -> list[dict[str, Any]]:
    """Each input, then each loss and the write-down, with the essay's figure beside it."""
    rows = [
        {
            "quantity": name,
            "value": getattr(inputs, name),
            "essay": ESSAY_INPUTS[name],
            "note": INPUT_LABELS.get(name, ""),
        }
        for name in input_names()
    ]
    outputs = [
        ("consumer_loss_bn", result.consumer_loss_bn, result.essay_consumer_loss_bn, ""),
        ("mortgage_loss_bn", result.mortgage_loss_bn, result.essay_mortgage_loss_bn, ""),
        ("total_loss_bn", result.total_loss_bn, None, ""),
        (
            "write_down_pct",
            result.write_down_pct,
            result.essay_write_down_pct,
            "(losses - reserves) / equity",
        ),
    ]
    return rows + [dict(zip(SCENARIO_COLUMNS, output, strict=True)) for output in outputs]


def input_names() -> list[str]:
    """The parameter names in order."""
    return [f.name for f in fields(ScenarioInputs)]
