"""Mute time intervals (Alertmanager's ``time_intervals``): is a moment inside, and until when.

A notification due inside a mute interval of its rule or channel is held, not dropped: its
delivery is due when the interval ends (:func:`muted_until`). Pure: the moment is passed in.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from monitor.config import TimeInterval

WEEKDAYS = [day.lower() for day in calendar.day_name]  # monday = 0
MONTHS = [month.lower() for month in calendar.month_name[1:]]  # january = 1 (index 0)
_MAX_STEPS = 10_000  # an interval that never ends (weekdays = all days) still terminates


@dataclass(frozen=True)
class Compiled:
    """A time interval as sets and ranges of numbers."""

    weekdays: frozenset[int]
    minutes: tuple[tuple[int, int], ...]  # [start, end) minutes of the local day
    days_of_month: tuple[tuple[int, int], ...]  # inclusive; negative counts from the end
    months: frozenset[int]
    years: tuple[tuple[int, int], ...]
    zone: ZoneInfo


def compile_interval(interval: TimeInterval) -> Compiled:
    """Parse an interval's ranges; a bad one raises ValueError naming it."""
    return Compiled(
        frozenset(n for text in interval.weekdays for n in _span(text, WEEKDAYS, 0, "weekday")),
        tuple((_minute(r.start_time), _minute(r.end_time)) for r in interval.times),
        tuple(_pair(text, -31, 31, "day of month") for text in interval.days_of_month),
        frozenset(n for text in interval.months for n in _span(text, MONTHS, 1, "month")),
        tuple(_pair(text, 1, 9999, "year") for text in interval.years),
        ZoneInfo(interval.location),
    )


def contains(interval: Compiled, moment: datetime) -> bool:
    """Whether ``moment`` is inside ``interval`` (in the interval's location)."""
    local = moment.astimezone(interval.zone)
    minute = local.hour * 60 + local.minute
    last_day = calendar.monthrange(local.year, local.month)[1]
    return (
        (not interval.weekdays or local.weekday() in interval.weekdays)
        and (not interval.minutes or any(a <= minute < b for a, b in interval.minutes))
        and (
            not interval.days_of_month
            or any(
                _day(a, last_day) <= local.day <= _day(b, last_day)
                for a, b in interval.days_of_month
            )
        )
        and (not interval.months or local.month in interval.months)
        and (not interval.years or any(a <= local.year <= b for a, b in interval.years))
    )


def muted_until(intervals: Sequence[Compiled], moment: datetime) -> datetime | None:
    """When the first of ``intervals`` containing ``moment`` stops muting (None: not muted)."""
    current = moment
    for _ in range(_MAX_STEPS):
        inside = [i for i in intervals if contains(i, current)]
        if not inside:
            return None if current == moment else current
        current = max(_span_end(i, current) for i in inside)
    return current


def _span_end(interval: Compiled, moment: datetime) -> datetime:
    """The end of the stretch of ``interval`` that contains ``moment``: the end of its time
    range, or the next local midnight (whole days)."""
    local = moment.astimezone(interval.zone)
    midnight = datetime.combine(local.date(), time(0), tzinfo=interval.zone)
    minute = local.hour * 60 + local.minute
    for start, end in interval.minutes:
        if start <= minute < end:
            return (midnight + timedelta(minutes=end)).astimezone(moment.tzinfo)
    return (midnight + timedelta(days=1)).astimezone(moment.tzinfo)


def _minute(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _day(day: int, last_day: int) -> int:
    return day if day > 0 else last_day + 1 + day


def _span(text: str, names: list[str], base: int, what: str) -> range:
    """``"monday:friday"``, ``"3"``, ``"march"``: the numbers a range covers."""
    first, _, last = text.lower().partition(":")
    start, stop = _number(first, names, base, what), _number(last or first, names, base, what)
    if stop < start:
        raise ValueError(f"bad {what} range {text!r}: it ends before it starts")
    return range(start, stop + 1)


def _number(text: str, names: list[str], base: int, what: str) -> int:
    if text.strip() in names:
        return names.index(text.strip()) + base
    if text.strip().isdigit() and base <= int(text) < len(names) + base:
        return int(text)
    raise ValueError(f"bad {what} {text!r}")


def _pair(text: str, low: int, high: int, what: str) -> tuple[int, int]:
    first, _, last = text.partition(":")
    try:
        a, b = int(first), int(last or first)
    except ValueError:
        raise ValueError(f"bad {what} range {text!r}") from None
    if not (low <= a <= high and low <= b <= high) or a == 0 or b == 0:
        raise ValueError(f"bad {what} range {text!r}")
    if (a > 0) == (b > 0) and b < a:
        raise ValueError(f"bad {what} range {text!r}: it ends before it starts")
    return a, b
