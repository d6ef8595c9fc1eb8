"""Which fetch jobs the daemon runs, on which triggers, and whether a run was missed.

Instruments are grouped by what decides when their data is ready: ``yahoo`` (US equities, after
the New York close), ``btc`` (crypto-calendar instruments, after the UTC day closes), ``fred``,
and ``csv`` (files, on the equity schedule). Each group is one job on its own cron trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Config, Instrument, ScheduleConfig
from monitor.errors import ConfigError

# Interval triggers start from a fixed epoch so replicas agree on fire times.
_INTERVAL_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
GROUPS = ("yahoo", "btc", "fred", "csv")


@dataclass(frozen=True)
class FetchJob:
    """One scheduled fetch: a job name, its trigger and the instruments it fetches."""

    name: str
    group: str
    trigger: BaseTrigger
    instruments: tuple[Instrument, ...]


def group_of(instrument: Instrument) -> str:
    """The schedule group an instrument is fetched with."""
    if instrument.source in ("fred", "csv"):
        return instrument.source
    return "btc" if instrument.calendar == "crypto" else "yahoo"


def trigger_for(group: str, schedule: ScheduleConfig) -> BaseTrigger:
    """The trigger of a group: its cron in its time zone, or ``[schedule].interval`` if set."""
    if schedule.interval is not None:
        return IntervalTrigger(
            seconds=schedule.interval.total_seconds(), start_date=_INTERVAL_EPOCH
        )
    if group == "btc":
        return CronTrigger.from_crontab(schedule.btc, timezone=schedule.btc_timezone)
    cron = schedule.fred if group == "fred" else schedule.yahoo
    return CronTrigger.from_crontab(cron, timezone=schedule.timezone)


def schedule_problems(config: Config) -> list[str]:
    """Each cron expression of ``[schedule]`` that APScheduler refuses, as one line."""
    schedule, problems = config.schedule, []
    for key, zone in (("yahoo", "timezone"), ("btc", "btc_timezone"), ("fred", "timezone")):
        expression = getattr(schedule, key)
        try:
            CronTrigger.from_crontab(expression, timezone=getattr(schedule, zone))
        except ValueError as exc:
            problems.append(
                f"{config.source}: schedule.{key}: bad cron expression {expression!r}: {exc}"
            )
    return problems


def fetch_jobs(config: Config) -> list[FetchJob]:
    """One job per group that has instruments, in :data:`GROUPS` order.

    A cron expression APScheduler cannot parse is a :class:`ConfigError` naming its key.
    """
    if problems := schedule_problems(config):
        raise ConfigError.of(problems)
    members: dict[str, list[Instrument]] = {}
    for instrument in config.instruments:
        members.setdefault(group_of(instrument), []).append(instrument)
    return [
        FetchJob(
            f"fetch:{group}", group, trigger_for(group, config.schedule), tuple(members[group])
        )
        for group in GROUPS
        if group in members
    ]


def missed_run(trigger: BaseTrigger, last_success: datetime | None, now: datetime) -> bool:
    """Whether a fire time passed since the last success (so the job should run once now).

    A job that never succeeded is due at once: a fresh daemon fetches without waiting for its
    first scheduled time.
    """
    if last_success is None:
        return True
    after = last_success + timedelta(microseconds=1)
    fire = trigger.get_next_fire_time(None, after)
    return fire is not None and fire <= now


def next_fire(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The trigger's first fire time after ``now``."""
    fire: datetime | None = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
    return fire
