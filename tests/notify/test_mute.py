"""Mute time intervals: a notification due inside one is held until it ends, then sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from monitor.cli import run
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


WEEKEND_OR_NIGHT = """
[[time_intervals.quiet]]
weekdays = ["saturday", "sunday"]

[[time_intervals.quiet]]
times = [{ start_time = "22:00", end_time = "24:00" }]

[time_intervals.single]
months = ["march"]
"""


def test_a_time_interval_name_holds_a_list_and_any_one_mutes() -> None:
    config = parse_config(WEEKEND_OR_NIGHT)
    quiet = [compile_interval(ti) for ti in config.time_intervals["quiet"]]
    assert len(quiet) == 2 and len(config.time_intervals["single"]) == 1
    saturday_noon = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert muted_until(quiet, saturday_noon) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    monday_night = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    assert muted_until(quiet, monday_night) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert muted_until(quiet, datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) is None
    # Friday 22:00 runs into the weekend: held until Monday.
    friday_night = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    assert muted_until(quiet, friday_night) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def test_a_bad_interval_in_a_list_fails_the_check_in_one_line(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[[time_intervals.quiet]]\nweekdays = ['sunday']\n"
        "[[time_intervals.quiet]]\nmonths = ['smarch']\n"
    )
    assert run(["--config", str(bad), "check"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {bad}: time_intervals.quiet.1: bad month 'smarch'\n")
    with pytest.raises(ConfigError, match=r"time_intervals\.t: .*must be a table"):
        parse_config("time_intervals.t = 3")
