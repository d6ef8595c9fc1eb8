"""Response shapes, for the OpenAPI document (handlers return plain rows, rendered fast)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    error: str
    status: int


class Health(BaseModel):
    status: str
    database: str
    checks: dict[str, Any]


class InstrumentRow(BaseModel):
    symbol: str
    source: str
    name: str
    unit: str | None
    period: str
    first_date: date | None
    last_date: date | None
    observations: int


class PriceRow(BaseModel):
    date: date
    close: float
    open: float | None
    high: float | None
    low: float | None
    adj_close: float | None
    volume: float | None
    available_date: dt.date
    provider: str


class ProviderRow(BaseModel):
    symbol: str
    position: int | None
    provider: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    refused: str | None
    scale: float | None
    newest: date | None


class SignalRow(BaseModel):
    id: str
    date: date | None
    value: float | None
    state: str | None


class RuleRow(BaseModel):
    name: str
    op: str
    threshold: float
    clear_threshold: float | None
    severity: str
    summary: str


class FreshnessRow(BaseModel):
    symbol: str
    source: str
    latest_available: date | None
    age_days: int | None
    limit_days: int
    stale: bool
    watched: bool


class SourceRow(BaseModel):
    source: str
    started_at: datetime
    status: str
    rows: int
    error: str | None
    hint: str | None


class PeriodRow(BaseModel):
    start: date
    end: date


class SignalDetail(BaseModel):
    id: str
    kind: str
    unit: str
    inputs: list[str]
    instruments: list[str]
    depends_on: list[str]
    window: int | None
    description: str
    rules: list[RuleRow]
    firing_periods: list[PeriodRow]


class HistoryRow(BaseModel):
    date: date
    value: float | None


class OpenAlertRow(BaseModel):
    rule: str
    state: str
    since: date | None
    date: date | None
    value: float | None
    threshold: float | None
    severity: str | None
    labels: dict[str, str]
    summary: str
    silenced: str = Field(description="the id of the silence holding it, or empty")
    acknowledged: str = Field(description="the acknowledgement's comment (author), or empty")


class SilenceRow(BaseModel):
    id: str
    matchers: str
    starts_at: datetime
    ends_at: datetime
    state: str
    author: str
    comment: str


class EventRow(BaseModel):
    date: date
    rule: str
    state: str
    value: float | None
    threshold: float
    severity: str
    reason: str
    summary: str


class DeliveryRow(BaseModel):
    id: str
    channel: str
    rule: str
    state: str
    date: date
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None


class ScoreRow(BaseModel):
    rule: str
    target: str
    episodes: int
    incomplete: int
    hits: int
    hit_rate: float | None
    base_rate: float | None
    lift: float | None
    median_drawdown_pct: float | None
    median_lead_days: float | None
    false_alarms_per_year: float | None
    firing_share: float


class EpisodeRow(BaseModel):
    rule: str
    target: str
    start: date
    end: date | None
    drawdown_pct: float | None
    lead_days: int | None
    hit: bool | None


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown symbol or signal"},
    503: {"model": ErrorBody, "description": "The database cannot be reached"},
}


def table_of(model: Any) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for a listing: a JSON array of ``model`` (a model or a union of models), or CSV."""
    return {
        200: {
            "model": list[model],
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **ERRORS,
    }
