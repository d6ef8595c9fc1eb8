"""When a daily bar is closed, and when an observation becomes usable (its available date).

Signals only ever see closed bars, from the date they were usable: equities after 16:00 in
New York, Bitcoin after 00:00 UTC of the next day (Yahoo dates BTC bars by their UTC day), FRED
series after their period ends plus the declared release lag.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from monitor.config import Instrument

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
US_CLOSE = time(16, 0)


def session_close(calendar: str, day: date) -> datetime:
    """The moment the bar dated ``day`` closes, in UTC."""
    if calendar == "crypto":
        return datetime.combine(day + timedelta(days=1), time(0, 0), UTC)
    return datetime.combine(day, US_CLOSE, NEW_YORK).astimezone(UTC)


def is_closed(calendar: str, day: date, now: datetime) -> bool:
    """Whether the bar dated ``day`` is final at ``now`` (an aware datetime)."""
    return now >= session_close(calendar, day)


def period_end(period: str, day: date) -> date:
    """The last day of the period FRED dates by its first day; daily and weekly: ``day``."""
    if period == "month":
        return day.replace(day=_calendar.monthrange(day.year, day.month)[1])
    if period == "quarter":
        last_month = ((day.month - 1) // 3) * 3 + 3
        return date(day.year, last_month, _calendar.monthrange(day.year, last_month)[1])
    return day


def available_date(instrument: Instrument, day: date) -> date:
    """The first date on which the observation dated ``day`` could have been known."""
    return period_end(instrument.period, day) + timedelta(days=instrument.release_lag)


def next_observation_date(instrument: Instrument, day: date) -> date:
    """The earliest date the observation after the one dated ``day`` can carry.

    Daily series step to the next day (weekdays only off the crypto calendar: exchange holidays
    are not modelled, so a holiday simply waits for the next bar); weekly ones a week; monthly
    and quarterly ones to the first day of the next period, as FRED dates them.
    """
    if instrument.period == "week":
        return day + timedelta(days=7)
    if instrument.period in ("month", "quarter"):
        return period_end(instrument.period, day) + timedelta(days=1)
    step = day + timedelta(days=1)
    if instrument.calendar != "crypto":
        while step.weekday() >= 5:
            step += timedelta(days=1)
    return step


def settled_through(instrument: Instrument, latest: date) -> date:
    """The last date no observation after the one dated ``latest`` can be available on yet.

    A later bar cannot change a signal's value on these dates any more; the next date waits for
    that bar (or for the input to go stale).
    """
    return available_date(instrument, next_observation_date(instrument, latest)) - timedelta(days=1)


def available_dates(instrument: Instrument, days: np.ndarray) -> np.ndarray:
    """:func:`available_date` of each of ``days`` (``datetime64[D]``), computed on the array."""
    if instrument.period == "month":
        ends = (days.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    elif instrument.period == "quarter":
        months = days.astype("datetime64[M]").astype(np.int64)  # 0 is January 1970
        next_quarter = (months - months % 3 + 3).astype("datetime64[M]")
        ends = next_quarter.astype("datetime64[D]") - 1
    else:
        ends = days
    return ends + np.timedelta64(instrument.release_lag, "D")


def last_closed_day(calendar: str, now: datetime) -> date:
    """The latest date whose bar is closed at ``now``: every earlier bar is closed too."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    while not is_closed(calendar, day, now):
        day -= timedelta(days=1)
    return day
