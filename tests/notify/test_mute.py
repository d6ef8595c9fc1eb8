"""Mute time intervals: a notification due inside one is held until it ends, then sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.cli import run
from monitor.config import TimeInterval, default_config_text, parse_config
from monitor.config.timeintervals import compile_interval, contains, muted_until
from monitor.delivery.supersede import FIRED_SINCE, NEVER_SENT, RESOLVED_SINCE
from monitor.errors import ConfigError
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent, Delivery
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


def _ungrouped_muted(db_url: str, receiver: Receiver, smtp: SmtpServer):
    """GLD's DataStale alone (not grouped), its native channel muted Mon-Fri 21:00-23:00."""
    config = channels_config(
        db_url,
        receiver,
        smtp,
        extra=EVENING,
        native='mute_time_intervals = ["evening"]',
        alerts='data_stale_group_by = ["..."]',
    )
    rt = runtime_for(config)
    fresh_except(rt, ["GLD"])
    observe(rt, ["GLD"], START + timedelta(days=20))
    return rt


def _native_states(receiver: Receiver) -> list[str]:
    return [json.loads(r.body)["type"] for r in receiver.requests if r.path.endswith("/native")]


def _outbox(rt) -> list[tuple[str, str, str, str | None]]:
    """(channel, event state, delivery status, last error) of every delivery, oldest first."""
    with session_scope(rt.engine) as session:
        rows = session.execute(
            select(Delivery.channel, AlertEvent.state, Delivery.status, Delivery.last_error)
            .join(AlertEvent, AlertEvent.id == Delivery.event_id)
            .order_by(AlertEvent.id, Delivery.channel)
        )
        return [tuple(row) for row in rows]


def test_an_alert_that_fires_and_resolves_inside_a_mute_interval_sends_nothing_there(
    db_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    """Alertmanager's rule: the receiver never heard of the alert, so neither the held firing
    nor its resolution is sent; both stay in the outbox as ``superseded``, saying why."""
    rt = _ungrouped_muted(db_url, receiver, smtp)
    send = dispatcher(rt, smtp)
    assert evaluate(rt, START + timedelta(days=31)).deliveries == 3  # NOW: Monday 22:00 UTC
    observe(rt, ["GLD"], START + timedelta(days=31), first=START + timedelta(days=21))
    half_past = NOW + timedelta(minutes=30)
    assert evaluate(rt, START + timedelta(days=31), half_past).deliveries == 3  # resolved
    assert send.dispatch_due(half_past).counts["sent"] == 4  # am and email: fired, resolved
    report = send.dispatch_due(NOW + timedelta(hours=1))  # the interval ends
    assert sorted(report.statuses.values()) == ["superseded", "superseded"]
    assert report.summary() == "0 sent, 0 pending retry, 0 failed, 0 dead, 2 superseded"
    assert _native_states(receiver) == []
    native = [row for row in _outbox(rt) if row[0] == "native"]
    assert native == [
        ("native", "firing", "superseded", RESOLVED_SINCE),
        ("native", "resolved", "superseded", NEVER_SENT),
    ]
    rt.engine.dispose()


@pytest.mark.parametrize("fires_again", [False, True])
def test_a_held_resolution_is_sent_if_the_channel_knew_the_alert_and_it_stays_resolved(
    db_url: str, receiver: Receiver, smtp: SmtpServer, fires_again: bool
) -> None:
    """Fired at 20:00 (sent), resolved at 22:00 (held): the resolution goes out at 23:00; if
    the alert fired again at 22:30, the resolution is superseded and the new firing is sent."""
    rt = _ungrouped_muted(db_url, receiver, smtp)
    send = dispatcher(rt, smtp)
    eight = NOW - timedelta(hours=2)
    assert evaluate(rt, START + timedelta(days=31), eight).deliveries == 3
    assert send.dispatch_due(eight).counts["sent"] == 3
    observe(rt, ["GLD"], START + timedelta(days=31), first=START + timedelta(days=21))
    assert evaluate(rt, START + timedelta(days=31)).deliveries == 3  # resolved, native held
    if fires_again:  # no GLD data since: stale again
        assert evaluate(rt, START + timedelta(days=45), NOW + timedelta(minutes=30)).deliveries
    report = send.dispatch_due(NOW + timedelta(hours=1))
    held = [row for row in _outbox(rt) if row[0] == "native"][1:]
    if fires_again:
        assert _native_states(receiver) == ["alert.firing", "alert.firing"]
        assert held == [
            ("native", "resolved", "superseded", FIRED_SINCE),
            ("native", "firing", "sent", None),
        ]
    else:
        assert _native_states(receiver) == ["alert.firing", "alert.resolved"]
        assert held == [("native", "resolved", "sent", None)]
    assert report.counts["superseded"] == int(fires_again)
    rt.engine.dispose()


def test_a_held_group_notification_whose_alerts_all_resolved_unseen_is_superseded(
    db_url: str, receiver: Receiver, smtp: SmtpServer
) -> None:
    """The group's notification lists GLD resolved (its latest state) and the channel never
    heard of GLD firing: nothing is sent, the notification stays as ``superseded``."""
    config = channels_config(
        db_url, receiver, smtp, extra=EVENING, native='mute_time_intervals = ["evening"]'
    )
    rt = runtime_for(config)
    send = dispatcher(rt, smtp)
    fresh_except(rt, ["GLD"])
    observe(rt, ["GLD"], START + timedelta(days=20))
    assert evaluate(rt, START + timedelta(days=31)).deliveries == 3  # one group notification each
    observe(rt, ["GLD"], START + timedelta(days=31), first=START + timedelta(days=21))
    half_past = NOW + timedelta(minutes=30)
    evaluate(rt, START + timedelta(days=31), half_past)  # resolved: joins native's held one
    send.dispatch_due(half_past)
    report = send.dispatch_due(NOW + timedelta(hours=1))
    assert list(report.statuses.values()) == ["superseded"]
    assert _native_states(receiver) == []
    with session_scope(rt.engine) as session:
        [(status, error)] = session.execute(
            select(Delivery.status, Delivery.last_error).where(Delivery.channel == "native")
        ).all()
    assert (status, error) == ("superseded", NEVER_SENT)
    rt.engine.dispose()


def test_the_shipped_time_interval_example_parses() -> None:
    keys = ("[[time_intervals", "weekdays =", "times =", "location =")
    text = "\n".join(
        line[2:] if line.startswith("# ") and line[2:].startswith(keys) else line
        for line in default_config_text().splitlines()
    )
    quiet = parse_config(text).time_intervals["quiet_hours"]
    assert [ti.weekdays for ti in quiet] == [["saturday", "sunday"], []]
    assert {ti.location for ti in quiet} == {"Europe/London"}
