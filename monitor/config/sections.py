"""The config's plain sections: database, fetching, the stage composite, schedule and server."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from monitor.config.base import ConfigModel, Interval, IsoDate, TimeZoneName


class DatabaseConfig(ConfigModel):
    url: str = "sqlite:///firealarm.db"


class FetchConfig(ConfigModel):
    revision_days: int = Field(10, ge=0, description="days re-read on every fetch")
    backfill_start: IsoDate = Field("2005-01-01", description="first date fetched into an empty db")
    timeout: float = Field(30.0, gt=0, le=3600, description="seconds for one network call")
    retries: int = Field(3, ge=0, le=100, description="retries of a transient failure")
    backoff: float = Field(2.0, ge=0, le=3600, description="first retry delay in seconds, doubling")
    max_csv_bytes: int = Field(
        100_000_000, gt=0, description="a csv file larger than this is refused before reading"
    )
    fallback_tolerance: float = Field(
        0.005, gt=0, lt=1, description="how far a fallback's closes may differ from stored ones"
    )
    rate_limit_retries: int = Field(
        1, ge=0, le=100, description="retries of a rate-limited provider before the next one"
    )


class StageConfig(ConfigModel):
    """The composite ``fire_alarm_stage``: stage k is reached when a rule of stage k fires."""

    # Stored as a signal: the pattern and the width of a signal id.
    id: str = Field("fire_alarm_stage", pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    stages: list[list[str]] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)


class ScheduleConfig(ConfigModel):
    # Cron expressions are checked where they are scheduled (monitor.daemon.schedule, by `run`
    # and `check`), so the commands that only read never import APScheduler.
    yahoo: str = "30 16 * * mon-fri"
    btc: str = "5 0 * * *"
    btc_timezone: TimeZoneName = "UTC"
    fred: str = "0 18 * * *"
    timezone: TimeZoneName = "America/New_York"
    dispatch_seconds: float = Field(5.0, gt=0, le=86400)
    misfire_grace: Interval = timedelta(hours=12)
    leader_retry_seconds: float = Field(
        5.0, gt=0, le=3600, description="how often a PostgreSQL replica tries to become the leader"
    )
    interval: Interval | None = Field(
        None, description="run every fetch job at this fixed interval instead of its cron (tests)"
    )


class ServerConfig(ConfigModel):
    host: str = "127.0.0.1"
    port: int = Field(8787, ge=0, lt=65536, description="0 picks a free port")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host names the API answers besides loopback and external_url's ('*': any)",
    )
    workers: int = Field(
        1, ge=1, le=64, description="processes `firealarm serve` answers requests with"
    )
