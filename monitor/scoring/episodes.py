"""A rule's firing episodes: from a ``firing`` transition to the next ``resolved``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from monitor.rules.evaluator import FIRING, RESOLVED


@dataclass(frozen=True)
class Episode:
    """One stretch of firing: ``end`` is the resolving date, None if still firing at the end."""

    start: date
    end: date | None


def episodes(transitions: Iterable[tuple[date, str]]) -> list[Episode]:
    """The episodes of one rule's (date, state) transitions, in date order.

    A ``firing`` transition while already firing (a repeat notification) is part of the same
    episode; ``pending`` and ``inactive`` ones neither open nor close one.
    """
    found: list[Episode] = []
    start: date | None = None
    for day, state in transitions:
        if state == FIRING and start is None:
            start = day
        elif state == RESOLVED and start is not None:
            found.append(Episode(start, day))
            start = None
    if start is not None:
        found.append(Episode(start, None))
    return found


def firing_days(found: Sequence[Episode], first: date, last: date) -> int:
    """Calendar days in [first, last] on which the rule was firing (resolving days excluded)."""
    days = 0
    for episode in found:
        start = max(episode.start, first)
        stop = last if episode.end is None else min(episode.end - timedelta(days=1), last)
        days += max((stop - start).days + 1, 0)
    return days
