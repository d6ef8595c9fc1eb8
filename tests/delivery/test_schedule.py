"""The retry schedule and the status classifier."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.delivery.backoff import BACKOFF, next_attempt
from monitor.delivery.outcome import classify_smtp, classify_status, parse_retry_after

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
EXPECTED = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
]


def _next(failures: int, *, retry_after=None, age=timedelta(0), seed=1):
    return next_attempt(
        failures=failures,
        age_start=NOW - age,
        now=NOW,
        max_age=timedelta(days=3),
        retry_after=retry_after,
        rng=random.Random(seed),
    )


@pytest.mark.parametrize("failures", range(1, 7))
def test_backoff_follows_the_schedule_with_jitter(failures):
    base = EXPECTED[failures - 1]
    delays = {_next(failures, seed=seed) - NOW for seed in range(20)}
    assert all(base * 0.8 <= d <= base * 1.2 for d in delays)
    assert len(delays) > 1  # jittered, not fixed


def test_backoff_caps_at_a_day():
    assert BACKOFF[-1] == timedelta(hours=24)
    assert _next(40) - NOW <= timedelta(hours=24) * 1.2


def test_retry_after_is_a_floor():
    assert _next(1, retry_after=600) - NOW == timedelta(seconds=600)
    assert _next(3, retry_after=1) - NOW >= timedelta(minutes=24)


def test_last_try_at_the_deadline_then_dead():
    assert _next(6, age=timedelta(days=3) - timedelta(hours=1)) == NOW + timedelta(hours=1)
    assert _next(6, age=timedelta(days=3)) is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "sent"),
        (204, "sent"),
        (301, "failed"),
        (400, "failed"),
        (401, "failed"),
        (404, "failed"),
        (410, "disabled"),
        (429, "retry"),
        (500, "retry"),
        (502, "retry"),
        (503, "retry"),
    ],
)
def test_http_status_classifier(status, outcome):
    assert classify_status(status) == outcome


def test_smtp_classifier():
    assert [classify_smtp(c) for c in (250, 421, 451, 535, 550)] == [
        "sent",
        "retry",
        "retry",
        "failed",
        "failed",
    ]


def test_retry_after_seconds_or_http_date():
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after("Mon, 02 Mar 2026 12:05:00 GMT", NOW) == 300.0
    assert parse_retry_after("Mon, 02 Mar 2026 11:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
