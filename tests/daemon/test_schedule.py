"""Which jobs the daemon schedules, their triggers, and the missed-run decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import load_config, parse_config
from monitor.daemon.schedule import fetch_jobs, missed_run, next_fire
from monitor.errors import ConfigError


def test_default_config_has_one_job_per_schedule_group() -> None:
    jobs = {job.name: job for job in fetch_jobs(load_config(None))}
    assert list(jobs) == ["fetch:yahoo", "fetch:btc", "fetch:fred"]
    assert [i.symbol for i in jobs["fetch:btc"].instruments] == ["BTC-USD"]
    assert "^NDX" in [i.symbol for i in jobs["fetch:yahoo"].instruments]
    assert {i.source for i in jobs["fetch:fred"].instruments} == {"fred"}


def test_cron_triggers_fire_in_their_time_zones() -> None:
    jobs = {job.name: job for job in fetch_jobs(load_config(None))}
    monday_noon_utc = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    yahoo = next_fire(jobs["fetch:yahoo"].trigger, monday_noon_utc)
    btc = next_fire(jobs["fetch:btc"].trigger, monday_noon_utc)
    fred = next_fire(jobs["fetch:fred"].trigger, monday_noon_utc)
    # 16:30 and 18:00 in New York (EST, UTC-5); 00:05 UTC the next day.
    assert yahoo == datetime(2026, 11, 23, 21, 30, tzinfo=UTC)
    assert fred == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert btc == datetime(2026, 11, 24, 0, 5, tzinfo=UTC)
    friday_evening = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    assert next_fire(jobs["fetch:yahoo"].trigger, friday_evening) == datetime(
        2026, 11, 30, 21, 30, tzinfo=UTC
    )


def test_csv_instruments_run_on_the_equity_schedule_and_interval_overrides_cron() -> None:
    text = """
        [[instruments]]
        symbol = "X"
        source = "csv"
        path = "x.csv"
        [schedule]
        interval = "3s"
    """
    (job,) = fetch_jobs(parse_config(text))
    assert job.name == "fetch:csv"
    now = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert next_fire(job.trigger, now) == now + timedelta(seconds=2)


def test_missed_run_compares_last_success_with_the_latest_fire_time() -> None:
    (yahoo, *_) = fetch_jobs(load_config(None))
    tuesday_morning = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    monday_close = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)
    assert missed_run(yahoo.trigger, None, tuesday_morning)  # never ran: run at once
    assert missed_run(yahoo.trigger, monday_close - timedelta(hours=1), tuesday_morning)
    assert not missed_run(yahoo.trigger, monday_close + timedelta(minutes=1), tuesday_morning)
    # Asleep all weekend: the one missed Friday run is due, once.
    friday_before_close = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert missed_run(yahoo.trigger, friday_before_close, datetime(2026, 11, 30, 9, tzinfo=UTC))


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('yahoo = "61 16 * * mon-fri"', "schedule.yahoo"),
        ('btc = "5 0 * *"', "schedule.btc"),
        ('timezone = "America/Nowhere"', "schedule.timezone"),
        ('btc_timezone = "Mars/Base"', "schedule.btc_timezone"),
        ('interval = "soon"', "schedule.interval"),
    ],
)
def test_bad_schedule_is_a_config_error_naming_the_key(line: str, key: str) -> None:
    # Time zones and durations are refused when the file is read, cron expressions when they
    # are scheduled (so commands that only read never load APScheduler).
    with pytest.raises(ConfigError, match=f"f.toml: {key}"):
        fetch_jobs(parse_config(f"[schedule]\n{line}\n", source="f.toml"))
