"""Alert rules and how their notifications are managed: ``[[rules]]``, ``[alerts]``,
``[time_intervals.NAME]`` (or ``[[time_intervals.NAME]]``, several) and ``[[inhibit_rules]]``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from monitor.config.base import ConfigModel, Interval, TimeZoneName, Wait
from monitor.config.templates import check_summary
from monitor.errors import ConfigError

Op = Literal[">", ">=", "<", "<=", "crosses_above", "crosses_below"]
# Prometheus' label name grammar, so Alertmanager receivers accept every label.
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_RESERVED_LABELS = {"alertname": "name", "severity": "severity"}
Severity = Literal["info", "warning", "critical"]


def _check_group_by(labels: list[str]) -> list[str]:
    if "..." in labels and len(labels) > 1:
        raise ValueError("'...' (no grouping) must be the only entry of group_by")
    return labels


GroupBy = Annotated[list[str], AfterValidator(_check_group_by)]


class RuleConfig(ConfigModel):
    # At most what alert_events.rule holds (PostgreSQL would refuse a longer one mid-evaluation).
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=128)
    signal: str
    op: Op
    threshold: float
    clear_threshold: float | None = None
    for_: int = Field(1, alias="for", description="consecutive dates before firing")
    keep_firing_for: int = Field(0, ge=0)
    severity: Severity = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    summary: str = "{rule}: {signal} = {value:.2f} ({op} {threshold})"
    repeat_interval: Interval | None = None
    send_resolved: bool = True
    channels: list[str] | None = None
    group_by: GroupBy | None = Field(None, description="else [alerts].group_by")
    mute_time_intervals: list[str] = Field(default_factory=list)

    @field_validator("for_")
    @classmethod
    def _at_least_one_date(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                f"must be 1 or more, got {value}: 1 fires on the first date the condition holds "
                "(what Prometheus writes as for: 0)"
            )
        return value

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: dict[str, str]) -> dict[str, str]:
        for name in labels:
            if not _LABEL_NAME.match(name):
                raise ValueError(
                    f"label name {name!r} is not a valid label name "
                    "(letters, digits and _, not starting with a digit)"
                )
            if name.startswith("__"):
                raise ValueError(f"label name {name!r}: names starting with __ are reserved")
            if name in _RESERVED_LABELS:
                raise ValueError(
                    f"label name {name!r} is reserved: firealarm sets it to the rule's "
                    f"{_RESERVED_LABELS[name]}"
                )
        return labels

    @model_validator(mode="after")
    def _summary_renders(self) -> RuleConfig:
        if "\r" in self.summary or "\n" in self.summary:
            # It goes into headers (an email's Subject): refused where it is written.
            raise ValueError(f"rule {self.name!r}: summary: one line, without line breaks")
        try:
            check_summary(self.summary, rule=self.name, labels=self.labels)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self

    @model_validator(mode="after")
    def _hysteresis_side(self) -> RuleConfig:
        if self.clear_threshold is None:
            return self
        below = self.op in ("<", "<=", "crosses_below")
        if below and self.clear_threshold < self.threshold:
            raise ValueError(
                f"rule {self.name!r}: clear_threshold {self.clear_threshold} must be >= "
                f"threshold {self.threshold} for op {self.op!r}"
            )
        if not below and self.clear_threshold > self.threshold:
            raise ValueError(
                f"rule {self.name!r}: clear_threshold {self.clear_threshold} must be <= "
                f"threshold {self.threshold} for op {self.op!r}"
            )
        return self


class AlertsConfig(ConfigModel):
    default_channels: list[str] = Field(default_factory=list)
    repeat_interval: Interval = timedelta(days=7)
    group_by: GroupBy = Field(["..."], description="labels grouping notifications; '...': none")
    data_stale_group_by: GroupBy = Field(default_factory=lambda: ["alertname"])
    group_wait: Wait = Field(timedelta(0), description="wait for more alerts of a new group")
    group_interval: Interval = Field(
        timedelta(minutes=5), description="least time between two notifications of a group"
    )
    max_delivery_age: Interval = timedelta(days=3)
    external_url: str | None = Field(
        None, pattern=r"^https?://", description="dashboard URL put in alert links"
    )


class TimeRange(ConfigModel):
    start_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end_time: str = Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end_time <= self.start_time:
            raise ValueError(f"times: {self.start_time}-{self.end_time} ends before it starts")
        return self


class TimeInterval(ConfigModel):
    """Alertmanager's time interval: every field given must match (an empty one matches all).

    Ranges are inclusive and written ``"monday:friday"``, ``"1:7"``, ``"-1"`` (the last day of
    the month), ``"2026:2027"``; times are ``HH:MM`` with the end excluded, in ``location``.
    """

    weekdays: list[str] = Field(default_factory=list)
    times: list[TimeRange] = Field(default_factory=list)
    days_of_month: list[str] = Field(default_factory=list)
    months: list[str] = Field(default_factory=list)
    years: list[str] = Field(default_factory=list)
    location: TimeZoneName = "UTC"

    @model_validator(mode="after")
    def _ranges_parse(self) -> TimeInterval:
        from monitor.config.timeintervals import compile_interval

        compile_interval(self)  # raises ValueError naming the bad range
        return self


def _as_list(value: object) -> object:
    """One interval (``[time_intervals.NAME]``) is a list of one (``[[time_intervals.NAME]]``)."""
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise ValueError("must be a table [time_intervals.NAME] or tables [[time_intervals.NAME]]")
    return value


# Alertmanager's ``time_intervals`` entry: a name for a list of intervals; any one matching mutes.
TimeIntervals = Annotated[list[TimeInterval], BeforeValidator(_as_list)]


def _check_matchers(texts: list[str]) -> list[str]:
    from monitor.config.matchers import parse_matchers

    parse_matchers(texts)  # a bad matcher or regex raises ValueError, one line
    return texts


Matchers = Annotated[list[str], AfterValidator(_check_matchers)]


class InhibitRule(ConfigModel):
    """Alertmanager's inhibition: while a source alert fires, matching targets send nothing."""

    source_matchers: Matchers = Field(min_length=1)
    target_matchers: Matchers = Field(min_length=1)
    equal: list[str] = Field(default_factory=list, description="labels source and target share")
    repeats_only: bool = Field(False, description="inhibit only repeats (firealarm's addition)")
    source_feeds_target: bool = Field(
        False, description="the source's instrument must feed the target's signal"
    )
