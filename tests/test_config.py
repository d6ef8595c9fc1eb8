"""The config file: typed, frozen, validated, with one clear line per problem."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.config import default_config_text, load_config, parse_config
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_repo_config_is_the_packaged_default() -> None:
    assert (REPO / "config" / "firealarm.toml").read_text() == default_config_text()


def test_defaults_carry_the_design_instruments_and_catalogue() -> None:
    config = load_config(None)
    symbols = {i.symbol for i in config.instruments}
    assert {
        "BTC-USD",
        "^NDX",
        "IGV",
        "OWL",
        "AXP",
        "XLP",
        "XLY",
        "GLD",
        "KRE",
        "XLF",
        "WALCL",
        "WTREGEN",
        "RRPONTSYD",
        "TGA",
        "DRCCLACBS",
    } <= symbols
    assert {s.id for s in config.signals} == {
        "btc_vs_ndx",
        "igv_vs_ndx",
        "owl_vs_ndx",
        "axp_vs_igv",
        "xlp_xly",
        "btc_vs_gold",
        "usd_liquidity",
        "usd_liquidity_daily",
        "usd_liquidity_13w",
        "card_delinquency",
        "regional_banks",
        "btc_drawdown",
    }
    walcl = config.instrument("WALCL")
    assert (walcl.period, walcl.release_lag, walcl.unit) == ("week", 1, "millions_usd")
    tga = config.instrument("TGA")
    assert (tga.source, tga.period, tga.release_lag, tga.unit) == (
        "treasury",
        "day",
        1,
        "millions_usd",
    )
    assert config.alerts.repeat_interval == timedelta(days=7)


def test_config_is_frozen() -> None:
    config = load_config(None)
    with pytest.raises(ValidationError):
        config.server.port = 1  # type: ignore[misc]


def test_server_workers_default_to_one_process() -> None:
    assert load_config(None).server.workers == 1
    text = default_config_text().replace("workers = 1 ", "workers = 4 ", 1)
    assert parse_config(text).server.workers == 4


def test_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIREALARM_DATABASE_URL", "sqlite:///from-env.db")
    assert load_config(None).database.url == "sqlite:///from-env.db"
    assert load_config(None, database_url="sqlite:///flag.db").database.url == "sqlite:///flag.db"


def _break(old: str, new: str) -> str:
    text = default_config_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_break("[server]\n", "[server]\ncolour = 'red'\n"), "server.colour: unknown key"),
        (_break("port = 8787", "port = 'eighty'"), "server.port: Input should be a valid integer"),
        (
            _break("workers = 1 ", "workers = 0 "),
            "server.workers: Input should be greater than or equal to 1",
        ),
        (
            _break("workers = 1 ", "workers = 65 "),
            "server.workers: Input should be less than or equal to 64",
        ),
        (
            _break('timezone = "America/New_York"', 'timezone = "Mars/Olympus"'),
            "schedule.timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            _break('repeat_interval = "7d"', 'repeat_interval = "weekly"'),
            "alerts.repeat_interval: not a duration",
        ),
        (
            _break('inputs = ["BTC-USD", "^NDX"]', 'inputs = ["BTC-USD", "NOPE"]'),
            "signal 'btc_vs_ndx': unknown input 'NOPE'",
        ),
        (_break('signal = "btc_vs_ndx"', 'signal = "nope"'), "rule 'btc_vs_ndx': unknown signal"),
        (_break('op = "<"', 'op = "<>"'), "rules.0.op: Input should be"),
        (
            _break("clear_threshold = -15.0", "clear_threshold = -35.0"),
            "rule 'btc_vs_ndx': clear_threshold -35.0 must be >= threshold -25.0",
        ),
        (_break("for = 3", "for = -1"), "rules.0.for: must be 1 or more, got -1"),
        (
            _break('name = "btc_vs_ndx"', f'name = "{"r" * 129}"'),
            "rules.0.name: String should have at most 128 characters",
        ),
        (  # wider than the database columns: PostgreSQL would refuse the rows later
            _break('symbol = "XLP"', f'symbol = "{"X" * 33}"'),
            "symbol: String should have at most 32 characters",
        ),
        (_break('id = "btc_vs_ndx"', f'id = "{"s" * 65}"'), "String should have at most 64"),
        (  # stored as a signal, in the same column
            _break('id = "fire_alarm_stage"', f'id = "{"s" * 65}"'),
            "stage.id: String should have at most 64 characters",
        ),
        (
            default_config_text() + f'[channels.{"c" * 65}]\ntype = "webhook"\nurl = "http://x"\n',
            "a channel's name has 1 to 64 characters",
        ),
        (
            _break('labels = { stage = "1" }', 'labels = { "bad-label name" = "1" }'),
            "rules.0.labels: label name 'bad-label name' is not a valid label name",
        ),
        (
            _break('labels = { stage = "1" }', 'labels = { 1stage = "1" }'),
            "label name '1stage' is not a valid label name",
        ),
        (
            _break('labels = { stage = "1" }', 'labels = { __name__ = "1" }'),
            "label name '__name__': names starting with __ are reserved",
        ),
        (
            _break('labels = { stage = "1" }', 'labels = { alertname = "x" }'),
            "rules.0.labels: label name 'alertname' is reserved: firealarm sets it to the rule's "
            "name (rule 'btc_vs_ndx')",
        ),
        (
            _break('labels = { stage = "1" }', 'labels = { severity = "page" }'),
            "label name 'severity' is reserved: firealarm sets it to the rule's severity",
        ),
        (_break("default_channels = []", 'default_channels = ["ops"]'), "unknown channel 'ops'"),
        ("[database\nurl=1", "not valid TOML"),
        (
            _break('sources = ["yahoo", "fred:NASDAQ100"]', 'sources = ["yahoo", "fredd:X"]'),
            "instruments.1: instrument '^NDX': sources: unknown provider 'fredd' in 'fredd:X' "
            "(known: yahoo, fred, csv,",
        ),
        (
            _break(
                'sources = ["yahoo", "fred:NASDAQ100"]', 'source = "yahoo"\nsources = ["yahoo"]'
            ),
            "instrument '^NDX': give 'source' or 'sources', not both",
        ),
        (
            _break('sources = ["yahoo", "fred:NASDAQ100"]', "sources = []"),
            "instrument '^NDX': 'sources' must be a non-empty list",
        ),
        (
            _break('sources = ["yahoo", "fred:NASDAQ100"]', 'sources = ["yahoo", "fred:"]'),
            "sources: 'fred:': write 'name:SERIES' with a series and no spaces",
        ),
        (
            _break('sources = ["yahoo", "fred:NASDAQ100"]', 'sources = ["yahoo", "yahoo"]'),
            "sources: an entry is listed twice",
        ),
        (
            _break('backfill_start = "2005-01-01"', 'backfill_start = "yesterday"'),
            "fetch.backfill_start: not a date: 'yesterday' (use YYYY-MM-DD)",
        ),
        (
            _break('backfill_start = "2005-01-01"', 'backfill_start = "2005-02-30"'),
            "fetch.backfill_start: not a date: '2005-02-30' (use YYYY-MM-DD)",
        ),
        (
            _break('backfill_start = "2005-01-01"', "backfill_start = 2005-01-01T09:30:00"),
            "fetch.backfill_start: not a date",
        ),
    ],
)
def test_bad_config_names_file_key_and_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="my.toml")
    assert str(info.value).startswith("my.toml: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_signal_cycle_is_refused() -> None:
    text = default_config_text() + (
        '\n[[signals]]\nid = "a"\nkind = "level"\ninputs = ["b"]\n'
        '\n[[signals]]\nid = "b"\nkind = "level"\ninputs = ["a"]\n'
    )
    with pytest.raises(ConfigError, match="signals form a cycle"):
        parse_config(text)


def test_backfill_start_may_be_a_toml_date_and_is_kept_as_iso_text() -> None:
    text = _break('backfill_start = "2005-01-01"', "backfill_start = 2010-06-01")
    assert parse_config(text).fetch.backfill_start == "2010-06-01"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize("summary", ["two\\nlines", "carriage\\r\\nreturn"])
def test_a_summary_with_a_line_break_is_refused_at_load(summary: str) -> None:
    text = default_config_text().replace(
        'summary = "Bitcoin trails', f'summary = "{summary} Bitcoin trails', 1
    )
    with pytest.raises(ConfigError, match="summary: one line, without line breaks"):
        parse_config(text)
