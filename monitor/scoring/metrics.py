"""Per rule and target: episodes, hits, hit rate against the base rate, and the rest.

The range of a rule and a target runs from the first date on which both the rule was evaluated
and the target has a close (or ``since``, if later; the replay starts there) to the rule's last
evaluated date (or ``until``). Episodes starting in it are scored; an incomplete one is counted
apart. Rates are fractions; ``median_drawdown_pct`` is in percent.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from statistics import median
from typing import Any

from monitor.scoring.episodes import Episode, firing_days
from monitor.scoring.outcomes import Closes, Outcome

SCORE_COLUMNS = [
    "rule",
    "target",
    "episodes",
    "incomplete",
    "hits",
    "hit_rate",
    "base_rate",
    "lift",
    "median_drawdown_pct",
    "median_lead_days",
    "false_alarms_per_year",
    "firing_share",
]
EPISODE_COLUMNS = ["rule", "target", "start", "end", "drawdown_pct", "lead_days", "hit"]
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Target:
    """A target's closes with the outcome after each of its dates, for base rates by range."""

    symbol: str
    closes: Closes
    horizon: int
    threshold: float  # a hit is a low at or below this fraction of close_t: 0.9 for 10 %
    complete_before: Sequence[int]  # [i]: how many of the first i dates have a known outcome
    hits_before: Sequence[int]  # [i]: how many of them are hits

    @classmethod
    def build(cls, symbol: str, closes: Closes, horizon: int, drawdown_pct: float) -> Target:
        """Compute every date's outcome once; ranges then cost two bisections."""
        # A ratio, not ratio - 1: 90 after 100 is exactly a 10 % fall (0.9 - 1 is not -0.1).
        threshold = 1 - drawdown_pct / 100
        outcomes = closes.outcomes(horizon)
        complete = [0, *accumulate(o is not None for o in outcomes)]
        hits = [0, *accumulate(o is not None and o.ratio <= threshold for o in outcomes)]
        return cls(symbol, closes, horizon, threshold, complete, hits)

    def is_hit(self, outcome: Outcome) -> bool:
        """Whether a forward drawdown is at or below ``-drawdown`` %."""
        return outcome.ratio <= self.threshold

    def base_rate(self, first: date, last: date) -> float | None:
        """The share of hits among the complete outcomes of the dates in [first, last]."""
        dates = self.closes.dates
        lo, hi = bisect_left(dates, first), bisect_right(dates, last)
        complete = self.complete_before[hi] - self.complete_before[lo]
        return (self.hits_before[hi] - self.hits_before[lo]) / complete if complete else None


def score(
    rule: str,
    found: Sequence[Episode],
    evaluated: tuple[date, date] | None,
    target: Target,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The score row of ``rule`` against ``target`` and its episodes' rows.

    ``evaluated`` is the first and last date the rule was evaluated in the replay (None if never).
    """
    bounds = _range(evaluated, target.closes)
    if bounds is None:
        return _row(rule, target.symbol, [], 0, None, None, 0.0), []
    first, last = bounds
    rows = [
        _episode_row(rule, target, episode) for episode in found if first <= episode.start <= last
    ]
    complete = [r for r in rows if r["drawdown_pct"] is not None]
    years = ((last - first).days + 1) / DAYS_PER_YEAR
    share = firing_days(found, first, last) / ((last - first).days + 1)
    row = _row(
        rule,
        target.symbol,
        complete,
        len(rows) - len(complete),
        target.base_rate(first, last),
        years,
        share,
    )
    return row, rows


def _range(evaluated: tuple[date, date] | None, closes: Closes) -> tuple[date, date] | None:
    if evaluated is None or not closes.dates:
        return None
    first, last = max(evaluated[0], closes.dates[0]), evaluated[1]
    return (first, last) if first <= last else None


def _episode_row(rule: str, target: Target, episode: Episode) -> dict[str, Any]:
    outcome = target.closes.outcome(episode.start, target.horizon)
    return {
        "rule": rule,
        "target": target.symbol,
        "start": episode.start,
        "end": episode.end,
        "drawdown_pct": None if outcome is None else 100 * outcome.drawdown,
        "lead_days": None if outcome is None else outcome.lead_days,
        "hit": None if outcome is None else target.is_hit(outcome),
    }


def _row(
    rule: str,
    target: str,
    complete: Sequence[dict[str, Any]],
    incomplete: int,
    base_rate: float | None,
    years: float | None,
    firing_share: float,
) -> dict[str, Any]:
    hits = [r for r in complete if r["hit"]]
    hit_rate = len(hits) / len(complete) if complete else None
    leads = [r["lead_days"] for r in hits]
    return {
        "rule": rule,
        "target": target,
        "episodes": len(complete),
        "incomplete": incomplete,
        "hits": len(hits),
        "hit_rate": hit_rate,
        "base_rate": base_rate,
        "lift": hit_rate / base_rate if hit_rate is not None and base_rate else None,
        "median_drawdown_pct": median(r["drawdown_pct"] for r in complete) if complete else None,
        "median_lead_days": float(median(leads)) if leads else None,
        "false_alarms_per_year": (len(complete) - len(hits)) / years if years else None,
        "firing_share": firing_share,
    }
