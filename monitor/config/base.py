"""What every config model shares: strict frozen models, durations, time zones, dates."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: object) -> timedelta:
    """Parse ``"7d"``, ``"5h"``, ``"30m"``, ``"10s"``, ``"2w"`` (or seconds as a number)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    try:
        if isinstance(value, str) and (match := _DURATION.match(value)):
            return timedelta(**{_DURATION_UNITS[match[2]]: float(match[1])})
    except OverflowError:
        raise ValueError(f"duration {value!r} is too long") from None
    raise ValueError(f"not a duration: {value!r} (use e.g. '30s', '5m', '2h', '7d', '1w')")


MAX_INTERVAL = timedelta(days=3650)  # later than now + this, a scheduler's datetime overflows


def _positive_interval(value: object) -> timedelta:
    duration = parse_duration(value)
    if not timedelta(0) < duration <= MAX_INTERVAL:
        raise ValueError(f"must be more than 0s and at most {MAX_INTERVAL.days}d, got {value!r}")
    return duration


# An interval something waits or repeats by: zero would spin, a huge one overflows dates.
Interval = Annotated[timedelta, BeforeValidator(_positive_interval)]


def _wait(value: object) -> timedelta:
    duration = parse_duration(value)
    if not timedelta(0) <= duration <= MAX_INTERVAL:
        raise ValueError(f"must be at least 0s and at most {MAX_INTERVAL.days}d, got {value!r}")
    return duration


# A wait that may be zero (``group_wait``: send at once).
Wait = Annotated[timedelta, BeforeValidator(_wait)]


def _check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


def _iso_date(value: object) -> str:
    """A ``YYYY-MM-DD`` date as text; TOML's own dates (unquoted) are accepted too."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


TimeZoneName = Annotated[str, BeforeValidator(_check_timezone)]
IsoDate = Annotated[str, BeforeValidator(_iso_date)]


class ConfigModel(BaseModel):
    # No NaN or infinity anywhere: ``threshold = nan`` would make a rule that never fires.
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )
