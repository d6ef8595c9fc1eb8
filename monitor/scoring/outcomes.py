"""What a target did after a date: its forward drawdown over a calendar horizon, as-of.

For a date t, ``close_t`` is the target's latest close on or before t (t itself need not be a
trading day, and nothing after t is used for it). The forward drawdown is
``min(close over the calendar days (t, t + horizon]) / close_t - 1``; the lead is the calendar
days from t to the first date of that lowest close. It is unknown (incomplete) when t + horizon
is after the last stored close or the target has no close on or before t. A window without a
close (a horizon shorter than a market holiday) means nothing fell: drawdown 0, no lead.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Outcome:
    """The lowest close over ``close_t`` (0.88 for a 12 % fall) and the days to it."""

    ratio: float
    lead_days: int | None

    @property
    def drawdown(self) -> float:
        """The forward drawdown as a fraction, -0.12 for a 12 % fall."""
        return self.ratio - 1


@dataclass(frozen=True)
class Closes:
    """A target's closes in date order (``dates`` strictly increasing)."""

    dates: Sequence[date]
    values: Sequence[float]

    def outcome(self, day: date, horizon: int) -> Outcome | None:
        """The forward drawdown after ``day``, or None when the closes cannot tell it yet."""
        at = bisect_right(self.dates, day) - 1
        if at < 0 or (self.dates[-1] - day).days < horizon:  # compared as days: no overflow
            return None
        end = bisect_right(self.dates, day + timedelta(days=horizon), lo=at + 1)
        return self._window(day, at, end)

    def outcomes(self, horizon: int) -> list[Outcome | None]:
        """:meth:`outcome` on each date of the closes (the base-rate population)."""
        return [self.outcome(day, horizon) for day in self.dates]

    def _window(self, day: date, at: int, end: int) -> Outcome:
        """The outcome after ``day`` (its as-of close at index ``at``), low among (at, end)."""
        if end <= at + 1:
            return Outcome(1.0, None)
        window = self.values[at + 1 : end]
        low = min(window)
        low_at = at + 1 + window.index(low)
        return Outcome(low / self.values[at], (self.dates[low_at] - day).days)
