"""The definitions on small hand-made series: episodes, as-of outcomes, ranges and rates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from monitor.scoring.episodes import Episode, episodes, firing_days
from monitor.scoring.metrics import Target, score
from monitor.scoring.outcomes import Closes, Outcome

D = date(2024, 1, 1)  # a Monday


def day(n: int) -> date:
    return D + timedelta(days=n)


def weekdays(values: list[float]) -> Closes:
    """Closes on consecutive weekdays from ``D``."""
    dates = [d for d in (day(n) for n in range(len(values) * 2)) if d.weekday() < 5]
    return Closes(dates[: len(values)], values)


def test_an_episode_runs_from_firing_to_the_next_resolved() -> None:
    transitions = [
        (day(0), "pending"),
        (day(1), "inactive"),
        (day(2), "firing"),
        (day(9), "firing"),  # a repeat notification: the same episode
        (day(12), "resolved"),
        (day(13), "resolved"),  # nothing open: ignored
        (day(20), "pending"),
        (day(22), "firing"),
    ]
    assert episodes(transitions) == [Episode(day(2), day(12)), Episode(day(22), None)]


def test_firing_days_exclude_the_resolving_day_and_stay_in_the_range() -> None:
    found = [Episode(day(2), day(12)), Episode(day(22), None)]
    assert firing_days(found, day(0), day(30)) == 10 + 9
    assert firing_days(found, day(5), day(24)) == 7 + 3
    assert firing_days(found, day(13), day(21)) == 0


def test_the_close_of_a_weekend_start_is_fridays_and_the_window_starts_after_it() -> None:
    closes = weekdays([100, 101, 102, 103, 104, 80, 90, 70, 95, 96])  # Mon 1 .. Fri 12 Jan
    # Start on Saturday 6 Jan: close_t is Friday's 104; the window is Sun 7 .. Wed 10 Jan.
    assert closes.outcome(day(5), 4) == Outcome(70 / 104, 4)
    # Start on Friday 5 Jan: the start's own close is close_t, never part of the window.
    assert closes.outcome(day(4), 1) == Outcome(1.0, None)  # no close by Saturday: no fall
    assert closes.outcome(day(4), 3) == Outcome(80 / 104, 3)


def test_outcomes_the_closes_cannot_tell_are_incomplete() -> None:
    closes = weekdays([100, 90, 80])  # Mon 1 .. Wed 3 Jan
    assert closes.outcome(day(0), 2) == Outcome(0.8, 2)
    assert closes.outcome(day(0), 3) is None  # runs past the last close
    assert closes.outcome(day(-1), 1) is None  # no close on or before the start
    assert closes.outcome(day(0), 10**12) is None  # no date overflow either


def test_a_fall_of_exactly_the_drawdown_is_a_hit() -> None:
    target = Target.build("X", weekdays([100, 90, 100, 100, 100]), 1, 10.0)
    assert target.is_hit(target.closes.outcome(day(0), 1))
    assert not target.is_hit(target.closes.outcome(day(1), 1))


def test_one_rule_against_one_target() -> None:
    # 100 on each weekday of 2024 with two 20 % dips: Wed 10 Jan and Wed 6 Mar.
    dates = [d for d in (day(n) for n in range(366)) if d.weekday() < 5]
    values = [80.0 if d in (day(9), day(65)) else 100.0 for d in dates]
    target = Target.build("X", Closes(dates, values), 7, 10.0)
    found = [
        Episode(day(4), day(8)),  # Fri 5 Jan: the dip 5 days later, a hit
        Episode(day(30), day(40)),  # nothing follows: a false alarm
        Episode(day(61), day(100)),  # Sat 2 Mar: the dip 4 days later
        Episode(day(362), None),  # 28 Dec, firing at the end: the horizon runs past the closes
    ]
    row, listed = score("r", found, (day(0), day(364)), target)
    assert [(e["drawdown_pct"], e["lead_days"], e["hit"]) for e in listed] == [
        (pytest.approx(-20.0), 5, True),
        (0.0, 1, False),
        (pytest.approx(-20.0), 4, True),
        (None, None, None),
    ]
    assert row["episodes"] == 3 and row["incomplete"] == 1 and row["hits"] == 2
    assert row["hit_rate"] == pytest.approx(2 / 3)
    # Base rate: the weekdays with a dip within the next 7 days, of those with 7 days ahead.
    complete = [d for d in dates if d + timedelta(days=7) <= dates[-1]]
    dips = [d for d in complete if any(0 < (x - d).days <= 7 for x in (day(9), day(65)))]
    assert row["base_rate"] == pytest.approx(len(dips) / len(complete))
    assert row["lift"] == pytest.approx((2 / 3) / (len(dips) / len(complete)))
    assert row["median_drawdown_pct"] == pytest.approx(-20.0)
    assert row["median_lead_days"] == 4.5
    assert row["false_alarms_per_year"] == pytest.approx(1 / (365 / 365.25))
    assert row["firing_share"] == pytest.approx((4 + 10 + 39 + 3) / 365)


def test_a_rule_never_evaluated_or_before_the_target_scores_nothing() -> None:
    target = Target.build("X", weekdays([100.0] * 30), 5, 10.0)
    empty = {"episodes": 0, "incomplete": 0, "hits": 0, "hit_rate": None, "lift": None}
    row, listed = score("r", [Episode(day(0), None)], None, target)
    assert listed == [] and {k: row[k] for k in empty} == empty
    row, listed = score("r", [Episode(day(-9), day(-2))], (day(-20), day(-1)), target)
    assert listed == [] and row["base_rate"] is None
