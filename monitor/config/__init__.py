"""The TOML config file (DESIGN.md section 7), parsed once into typed, frozen models.

A file given with ``--config`` (or ``FIREALARM_CONFIG``), or else found where
:mod:`monitor.config.discovery` looks, replaces the packaged defaults as a whole.
``FIREALARM_DATABASE_URL`` overrides ``[database].url``. Secrets never live here: channels name
the environment variables that hold them (``secret_env``, ``password_env``...).
"""

from __future__ import annotations

import graphlib
import json
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.config.alerting import (
    AlertsConfig,
    InhibitRule,
    RuleConfig,
    TimeInterval,
    TimeIntervals,
)
from monitor.config.base import ConfigModel, parse_duration
from monitor.config.catalogue import (
    FRED_PRICE_SERIES,
    PRICE_SOURCES,
    UNIT_SCALE,
    Instrument,
    SignalConfig,
)
from monitor.config.channels import (
    APPRISE_NAME_LIMIT,
    AppriseChannel,
    Channel,
    EmailChannel,
    PagerDutyChannel,
    WebhookChannel,
)
from monitor.config.discovery import PACKAGED, ConfigChoice, choose_config
from monitor.config.providers import ProviderRef
from monitor.config.sections import (
    DatabaseConfig,
    FetchConfig,
    ScheduleConfig,
    ServerConfig,
    StageConfig,
)
from monitor.errors import ConfigError, NotFoundError

# What the rest of firealarm imports from here; the models live in the modules beside this.
__all__ = [
    "FRED_PRICE_SERIES",
    "PRICE_SOURCES",
    "UNIT_SCALE",
    "AlertsConfig",
    "AppriseChannel",
    "Channel",
    "Config",
    "EmailChannel",
    "FetchConfig",
    "InhibitRule",
    "Instrument",
    "PagerDutyChannel",
    "ProviderRef",
    "RuleConfig",
    "ScheduleConfig",
    "SignalConfig",
    "StageConfig",
    "TimeInterval",
    "WebhookChannel",
    "default_config_text",
    "load_config",
    "parse_config",
    "parse_duration",
    "with_database_url",
]

DEFAULT_CONFIG_RESOURCE = "firealarm.toml"
DATABASE_URL_ENV = "FIREALARM_DATABASE_URL"


CHANNEL_NAME_LIMIT = 64  # the width of ``deliveries.channel``


class Config(ConfigModel):
    """The whole configuration; build it with :func:`load_config`."""

    source: str = Field(PACKAGED, exclude=True)
    found_by: str = Field("", exclude=True, description="which file was read, and why")
    database: DatabaseConfig = DatabaseConfig()
    fetch: FetchConfig = FetchConfig()
    instruments: list[Instrument] = Field(default_factory=list)
    signals: list[SignalConfig] = Field(default_factory=list)
    stage: StageConfig = StageConfig()
    rules: list[RuleConfig] = Field(default_factory=list)
    alerts: AlertsConfig = AlertsConfig()
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    time_intervals: dict[str, TimeIntervals] = Field(default_factory=dict)
    channels: dict[str, Channel] = Field(default_factory=dict)
    schedule: ScheduleConfig = ScheduleConfig()
    server: ServerConfig = ServerConfig()

    @field_validator("channels")
    @classmethod
    def _channel_names_fit(cls, channels: dict[str, Channel]) -> dict[str, Channel]:
        for name in channels:
            if not 0 < len(name) <= CHANNEL_NAME_LIMIT:
                raise ValueError(
                    f"channel {name[:CHANNEL_NAME_LIMIT]!r}...: a channel's name has 1 to "
                    f"{CHANNEL_NAME_LIMIT} characters"
                )
        return channels

    @field_validator("instruments")
    @classmethod
    def _unique_symbols(cls, instruments: list[Instrument]) -> list[Instrument]:
        _reject_duplicates("instrument symbol", [i.symbol for i in instruments])
        return instruments

    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, rules: list[RuleConfig]) -> list[RuleConfig]:
        _reject_duplicates("rule name", [r.name for r in rules])
        return rules

    @model_validator(mode="after")
    def _references(self) -> Config:
        symbols = {i.symbol for i in self.instruments}
        _reject_duplicates("signal id", [s.id for s in self.signals])
        ids = {s.id for s in self.signals}
        if clash := symbols & ids:
            raise ValueError(f"names used both as instrument and signal: {sorted(clash)}")
        for signal in self.signals:
            for name in signal.inputs:
                if name not in symbols and name not in ids:
                    raise ValueError(f"signal {signal.id!r}: unknown input {name!r}")
        self.signal_order()  # raises on cycles
        self._check_formula_units()
        rules_by_name = {r.name: r for r in self.rules}
        if self.stage.names and len(self.stage.names) != len(self.stage.stages):
            raise ValueError(
                f"stage: {len(self.stage.names)} names for {len(self.stage.stages)} stages"
            )
        for stage in self.stage.stages:
            for name in stage:
                if name not in rules_by_name:
                    raise ValueError(f"stage: unknown rule {name!r}")
                if rules_by_name[name].signal == self.stage.id:
                    raise ValueError(f"stage: rule {name!r} reads {self.stage.id!r} itself")
        known_signals = ids | ({self.stage.id} if self.stage.stages else set())
        for rule in self.rules:
            if rule.signal not in known_signals:
                raise ValueError(f"rule {rule.name!r}: unknown signal {rule.signal!r}")
            for channel in rule.channels or []:
                if channel not in self.channels:
                    raise ValueError(f"rule {rule.name!r}: unknown channel {channel!r}")
        for channel in self.alerts.default_channels:
            if channel not in self.channels:
                raise ValueError(f"alerts.default_channels: unknown channel {channel!r}")
        self._check_templates()
        self._check_time_interval_names()
        return self

    def _check_time_interval_names(self) -> None:
        users = [(f"rule {r.name!r}", r.mute_time_intervals) for r in self.rules]
        users += [(f"channel {n!r}", c.mute_time_intervals) for n, c in self.channels.items()]
        for who, names in users:
            for name in names:
                if name not in self.time_intervals:
                    known = ", ".join(sorted(self.time_intervals)) or "none defined"
                    raise ValueError(f"{who}: unknown time interval {name!r} ({known})")

    def _check_templates(self) -> None:
        """Check every channel template now (and Apprise names), so a send does not fail on it."""
        for name, channel in self.channels.items():
            if isinstance(channel, AppriseChannel) and len(name) > APPRISE_NAME_LIMIT:
                raise ValueError(
                    f"channel {name!r}: an apprise channel's name has at most "
                    f"{APPRISE_NAME_LIMIT} characters (its deliveries are NAME/<service>-<hash>)"
                )
            for key in ("title_template", "body_template"):
                source = getattr(channel, key)
                if source is not None:
                    from monitor.config.channel_templates import check_template  # Jinja2 on demand

                    try:
                        check_template(source)
                    except ValueError as exc:
                        raise ValueError(f"channel {name!r}: {key}: {exc}") from None

    def _check_formula_units(self) -> None:
        """A formula adds inputs after unit conversion, so every unit must be declared."""
        units = {i.symbol: i.unit for i in self.instruments} | {s.id: s.unit for s in self.signals}
        for signal in self.signals:
            if signal.kind != "formula":
                continue
            if signal.unit is None:
                raise ValueError(f"signal {signal.id!r}: a 'formula' needs a 'unit' for its output")
            for name in signal.inputs:
                unit = units[name]
                if unit is None:
                    raise ValueError(
                        f"signal {signal.id!r}: input {name!r} has no 'unit'; declare it so the "
                        f"formula can convert it to {signal.unit!r}"
                    )
                if unit != signal.unit and not (unit in UNIT_SCALE and signal.unit in UNIT_SCALE):
                    raise ValueError(
                        f"signal {signal.id!r}: input {name!r} in {unit!r} cannot be converted "
                        f"to {signal.unit!r}"
                    )

    def signal_order(self) -> list[SignalConfig]:
        """Signals sorted so every signal comes after the signals it reads."""
        by_id = {s.id: s for s in self.signals}
        graph = {s.id: [i for i in s.inputs if i in by_id] for s in self.signals}
        try:
            order = list(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError as exc:
            raise ValueError(f"signals form a cycle: {' -> '.join(exc.args[1])}") from exc
        return [by_id[i] for i in order]

    def instrument(self, symbol: str) -> Instrument:
        """The instrument named ``symbol``; a NotFoundError names the known ones otherwise."""
        for instrument in self.instruments:
            if instrument.symbol == symbol:
                return instrument
        known = ", ".join(i.symbol for i in self.instruments)
        raise NotFoundError(f"unknown instrument {symbol!r} (configured: {known})")

    def external_url(self) -> str:
        """The base URL of the dashboard, for links in alerts."""
        return self.alerts.external_url or f"http://{self.server.host}:{self.server.port}"

    def rule_channels(self, rule: RuleConfig) -> list[str]:
        """The channels a rule notifies: its own, else ``[alerts].default_channels``."""
        return list(rule.channels if rule.channels is not None else self.alerts.default_channels)

    def rule_group_by(self, rule: RuleConfig) -> list[str]:
        """The labels a rule's notifications are grouped by: its own, else ``[alerts]``'s."""
        return list(rule.group_by if rule.group_by is not None else self.alerts.group_by)


def _reject_duplicates(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"duplicate {what} {name!r}")
        seen.add(name)


def default_config_text() -> str:
    """The packaged, commented default config (what ``firealarm init`` writes)."""
    return resources.files("monitor.defaults").joinpath(DEFAULT_CONFIG_RESOURCE).read_text()


def with_database_url(text: str, url: str) -> str:
    """The default config ``text`` with ``[database].url`` set to ``url``, comments kept."""
    default = f"url = {json.dumps(DatabaseConfig().url)}"
    if text.count(default) != 1:
        raise ValueError(f"the default config has no single {default!r} line to replace")
    return text.replace(default, f"url = {json.dumps(url)}")  # a JSON string is a TOML one


def load_config(path: str | Path | None = None, *, database_url: str | None = None) -> Config:
    """Read the config at ``path``, else the one :func:`~monitor.config.discovery.choose_config`
    finds (``$FIREALARM_CONFIG``, ``./firealarm.toml``, the user's, ``/etc/firealarm``), else
    the packaged defaults.

    ``database_url`` (the ``--db`` option) wins over ``$FIREALARM_DATABASE_URL``, which wins over
    ``[database].url``; a relative SQLite path written in a file is relative to that file's
    folder. Any problem raises :class:`ConfigError` naming the file and key.
    """
    choice = choose_config(path)
    if choice.path is None:
        text = default_config_text()
        return parse_config(text, source=PACKAGED, database_url=database_url, found_by=choice)
    source = str(choice.path)
    try:
        text = choice.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read config file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source}: not UTF-8 text (byte {exc.start}: {exc.object[exc.start]:#04x})"
        ) from None
    return parse_config(text, source=source, database_url=database_url, found_by=choice)


def parse_config(
    text: str,
    *,
    source: str = "<string>",
    database_url: str | None = None,
    found_by: ConfigChoice | None = None,
) -> Config:
    """Parse TOML text into a :class:`Config`, applying the database URL overrides.

    ``found_by`` is how the file was chosen; a relative SQLite path in it is made relative to
    its folder.
    """
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(f"{source}: not valid TOML: nested too deeply") from None
    url = database_url or os.environ.get(DATABASE_URL_ENV)
    if url:
        data.setdefault("database", {})["url"] = url
    elif found_by is not None and found_by.path is not None:
        database = data.get("database")
        if isinstance(database, dict) and isinstance(database.get("url"), str):
            database["url"] = sqlite_beside(database["url"], found_by.path.parent)
    found = found_by.describe() if found_by else source
    try:
        return Config.model_validate({**data, "source": source, "found_by": found})
    except ValidationError as exc:
        raise ConfigError.of(_describe(source, exc, data)) from None


def sqlite_beside(url: str, folder: Path) -> str:
    """``url`` with a relative SQLite path made relative to ``folder``; other URLs unchanged."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    path, _, query = url[len(prefix) :].partition("?")
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
        return url
    return prefix + str((folder / path).absolute()) + (f"?{query}" if query else "")


def _describe(source: str, exc: ValidationError, data: dict[str, Any]) -> list[str]:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        rule = _rule_name(error["loc"], data)
        problems.append(
            f"{source}: {key}: {message}" + ("" if rule in message else f" (rule {rule})")
        )
    return problems


def _rule_name(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """The quoted name of the ``[[rules]]`` entry an error is in (so users find it), or ""."""
    if len(loc) < 2 or loc[0] != "rules" or not isinstance(loc[1], int):
        return ""
    rules = data.get("rules")
    if not isinstance(rules, list) or loc[1] >= len(rules) or not isinstance(rules[loc[1]], dict):
        return ""
    name = rules[loc[1]].get("name")
    return repr(name) if isinstance(name, str) else ""
