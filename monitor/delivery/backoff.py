"""When to try a failed delivery again: exponential backoff with jitter, up to a max age.

The delays follow the Standard Webhooks example schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
14 h, 20 h, 24 h, then every 24 h); each is jittered by up to ±20% so receivers that come back
are not hit by every retry at once. A ``Retry-After`` from the receiver is a floor.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

BACKOFF = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
]
JITTER = 0.2


def backoff_delay(failures: int, rng: random.Random) -> timedelta:
    """The jittered delay after the ``failures``-th failed attempt (1-based)."""
    base = BACKOFF[min(max(failures, 1), len(BACKOFF)) - 1]
    return base * rng.uniform(1 - JITTER, 1 + JITTER)


def next_attempt(
    *,
    failures: int,
    age_start: datetime,
    now: datetime,
    max_age: timedelta,
    retry_after: float | None,
    rng: random.Random,
) -> datetime | None:
    """When to try again after a recoverable failure, or None once ``max_age`` is over (dead).

    The last try is made at the deadline itself rather than skipped.
    """
    deadline = age_start + max_age
    if now >= deadline:
        return None
    wait = backoff_delay(failures, rng).total_seconds()
    if retry_after is not None:
        wait = max(wait, retry_after)
    # Compared in seconds: a receiver's Retry-After of 10^12 s would overflow a datetime.
    if wait >= (deadline - now).total_seconds():
        return deadline
    return now + timedelta(seconds=wait)
