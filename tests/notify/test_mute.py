"""Mute time intervals: a notification due inside one is held until it ends, then sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import TimeInterval, parse_config
from monitor.config.timeintervals import compile_interval, contains, muted_until
from monitor.errors import ConfigError
from tests.delivery.receiver import Receiver
from tests.delivery.smtp_server import SmtpServer
from tests.notify.conftest import (
    NOW,
    START,
    channels_config,
    dispatcher,
    evaluate,
    fresh_except,
    observe,
    runtime_for,
)

EVENING = """
[time_intervals.evening]
times = [{ start_time = "21:00", end_time = "23:00" }]
weekdays = ["monday:friday"]
"""


def test_a_muted_channel_holds_the_notification_until_the_interval_ends(
    db_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    config = channels_config(
        db_url, receiver, smtp, extra=EVENING, native='mute_time_intervals = ["evening"]'
    )
    rt = runtime_for(config)
    send = dispatcher(rt, smtp)
    fresh_except(rt, ["GLD"])
    observe(rt, ["GLD"], START + timedelta(days=20))
    assert evaluate(rt, START + timedelta(days=31)).deliveries == 3  # NOW: Monday 22:00 UTC
    assert send.dispatch_due(NOW).counts["sent"] == 2  # the Alertmanager webhook and the email
    assert [r.path.rsplit("/", 1)[1] for r in receiver.requests] == ["am"]
    assert send.dispatch_due(NOW + timedelta(minutes=59)).statuses == {}
    assert send.dispatch_due(NOW + timedelta(hours=1)).counts["sent"] == 1
    native = json.loads(receiver.requests[-1].body)
    assert receiver.requests[-1].path.endswith("/native")
    assert [a["labels"]["instrument"] for a in native["data"]["alerts"]] == ["GLD"]
    rt.engine.dispose()


def test_intervals_in_their_location_and_across_days() -> None:
    weekend = compile_interval(TimeInterval(weekdays=["saturday", "sunday"], location="Asia/Tokyo"))
    friday_night_utc = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Saturday 01:00 in Tokyo
    assert contains(weekend, friday_night_utc)
    assert muted_until([weekend], friday_night_utc) == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    assert muted_until([weekend], datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) is None
    month_end = compile_interval(TimeInterval(days_of_month=["-2:-1"], months=["february"]))
    assert contains(month_end, datetime(2028, 2, 28, tzinfo=UTC))  # a leap year: 28, 29
    assert not contains(month_end, datetime(2028, 2, 27, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[channels.x]\ntype = "webhook"\nurl = "http://h"\nmute_time_intervals = ["nope"]',
         "channel 'x': unknown time interval 'nope'"),
        ("[time_intervals.t]\nmonths = ['smarch']", "bad month 'smarch'"),
        ("[time_intervals.t]\nyears = ['2027:2026']", "bad year range '2027:2026'"),
        ("[time_intervals.t]\nlocation = 'Mars/Olympus'", "unknown time zone 'Mars/Olympus'"),
    ],
)  # fmt: skip
def test_bad_time_intervals_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_config(text)
    assert "\n" not in str(caught.value)
