"""``firealarm check``: the config a deploy will run, checked before it runs.

Like ``promtool check config`` or ``amtool check-config``: it reads the config the daemon would
read (same discovery), parses it with its instruments, signals, rules and summary templates,
and checks the cron schedules the daemon would build. It reports either what it found, one line
per kind, or every problem, one line each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import Config, load_config
from monitor.daemon.schedule import schedule_problems
from monitor.errors import ConfigError
from monitor.rules.stale import watched_instruments
from monitor.store.database import redact_url


@dataclass
class CheckReport:
    """The config (None when it did not parse), what was found in it, and every problem."""

    config: Config | None = None
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_config(path: Path | None, database_url: str | None) -> CheckReport:
    """Check the config at ``path`` (else the discovered one), as ``run`` would read it."""
    try:
        config = load_config(path, database_url=database_url)
    except ConfigError as exc:
        return CheckReport(problems=exc.problems)
    return CheckReport(config, found=describe(config), problems=schedule_problems(config))


def describe(config: Config) -> list[str]:
    """One line per kind of thing the config holds."""
    sources = Counter(i.source for i in config.instruments)
    by_source = ", ".join(f"{source} {n}" for source, n in sources.items())
    stage = f", and {config.stage.id} ({len(config.stage.stages)} stages)"
    watched = len(watched_instruments(config))
    channels = ", ".join(f"{name} ({c.type})" for name, c in config.channels.items())
    return [
        f"config: {config.found_by or config.source}",
        f"database: {redact_url(config.database.url)}",
        f"instruments: {len(config.instruments)} ({by_source})",
        f"signals: {len(config.signals)}" + (stage if config.stage.stages else ""),
        f"rules: {len(config.rules)}, and DataStale on {watched} instruments",
        f"channels: {channels or 'none (alerts are stored, not sent)'}",
        f"schedule: yahoo '{config.schedule.yahoo}', fred '{config.schedule.fred}' "
        f"({config.schedule.timezone}); btc '{config.schedule.btc}' "
        f"({config.schedule.btc_timezone})",
    ]
