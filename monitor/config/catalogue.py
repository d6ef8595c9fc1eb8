"""What firealarm watches: the instruments it fetches and the signals computed from them."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field, model_validator

from monitor.config.base import ConfigModel
from monitor.config.providers import ProviderRef, chain_problem

Period = Literal["day", "week", "month", "quarter"]
Unit = Literal["usd", "thousands_usd", "millions_usd", "billions_usd", "trillions_usd", "percent"]

UNIT_SCALE: dict[str, float] = {
    "usd": 1.0,
    "thousands_usd": 1e3,
    "millions_usd": 1e6,
    "billions_usd": 1e9,
    "trillions_usd": 1e12,
}

# Sources whose series are prices (positive, adjusted like Yahoo's), and FRED series that are.
PRICE_SOURCES = frozenset({"yahoo", "coinbase", "tiingo"})
FRED_PRICE_SERIES = frozenset({"NASDAQ100", "CBBTCUSD"})

STALENESS_DAYS: dict[str, int] = {"day": 5, "week": 10, "month": 45, "quarter": 120}


class Instrument(ConfigModel):
    symbol: str = Field(min_length=1, max_length=32)  # the width of its database columns
    source: Literal["yahoo", "fred", "csv", "coinbase", "treasury", "nyfed", "tiingo"]
    name: str = ""
    unit: Unit | None = None
    period: Period = "day"
    release_lag: int = Field(0, ge=0, description="days after the period until it is published")
    calendar: Literal["us_equity", "crypto"] = "us_equity"
    staleness_days: int | None = Field(None, gt=0)
    path: str | None = Field(None, description="file read by the csv source")
    sources: tuple[str, ...] = Field((), description="the provider chain; source is its first")

    @model_validator(mode="before")
    @classmethod
    def _one_chain(cls, data: Any) -> Any:
        """``source`` is the one-provider form of ``sources``; fill each from the other."""
        if not isinstance(data, dict) or "sources" not in data:
            return {**data, "sources": (data["source"],)} if _has_source(data) else data
        symbol = data.get("symbol")
        if "source" in data:
            raise ValueError(f"instrument {symbol!r}: give 'source' or 'sources', not both")
        known = get_args(cls.model_fields["source"].annotation)
        if problem := chain_problem(data["sources"], known):
            raise ValueError(f"instrument {symbol!r}: {problem}")
        return {**data, "source": ProviderRef.parse(data["sources"][0]).name}

    @property
    def chain(self) -> list[ProviderRef]:
        """The providers in the order they are asked; the first is the primary."""
        return [ProviderRef.parse(entry) for entry in self.sources]

    @property
    def staleness_limit(self) -> int:
        """Days after which this series' latest value is too old to use."""
        return self.staleness_days or STALENESS_DAYS[self.period]

    @property
    def is_price(self) -> bool:
        """Prices must be positive; other series (csv ones with a unit) may be zero or less."""
        if self.source == "fred":
            return self.symbol in FRED_PRICE_SERIES
        return self.source in PRICE_SOURCES or (self.source == "csv" and self.unit is None)

    @model_validator(mode="after")
    def _csv_needs_path(self) -> Instrument:
        if any(p.name == "csv" for p in self.chain) and not self.path:
            raise ValueError(f"instrument {self.symbol!r}: source 'csv' needs a 'path'")
        return self


def _has_source(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("source"), str)


SignalKind = Literal[
    "ratio",
    "relative_return",
    "ratio_change",
    "drawdown",
    "zscore",
    "level",
    "change",
    "formula",
]

_ARITY: dict[str, int] = {
    "ratio": 2,
    "relative_return": 2,
    "ratio_change": 2,
    "drawdown": 1,
    "zscore": 1,
    "level": 1,
    "change": 1,
}
_NEEDS_WINDOW = {"relative_return", "ratio_change", "zscore", "change"}


class SignalConfig(ConfigModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    kind: SignalKind
    inputs: list[str] = Field(min_length=1)
    window: int | None = Field(None, gt=0, description="lookback in calendar days")
    mode: Literal["percent", "difference"] = "percent"
    weights: list[float] | None = None
    unit: Unit | None = None
    description: str = ""

    @model_validator(mode="after")
    def _shape(self) -> SignalConfig:
        arity = _ARITY.get(self.kind)
        if arity is not None and len(self.inputs) != arity:
            raise ValueError(
                f"signal {self.id!r}: kind {self.kind!r} takes {arity} input(s), "
                f"got {len(self.inputs)}"
            )
        if self.kind in _NEEDS_WINDOW and self.window is None:
            raise ValueError(f"signal {self.id!r}: kind {self.kind!r} needs a 'window'")
        if self.kind == "formula":
            if self.weights is None or len(self.weights) != len(self.inputs):
                raise ValueError(f"signal {self.id!r}: 'formula' needs one weight per input")
        elif self.weights is not None:
            raise ValueError(f"signal {self.id!r}: 'weights' only applies to kind 'formula'")
        return self
