"""The alerts, backtest and status commands, and rule validation at the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli import run
from monitor.config import parse_config
from monitor.runtime import Runtime
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent
from tests.rules.conftest import evaluate, put_values
from tests.rules.helpers import CONFIG, daily


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables fit the terminal; give them a wide one so cells are not elided."""
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "firealarm.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def evaluated(small: Runtime, db_url: str, config_file: Path) -> list[str]:
    """Global options for a database where 'deep' fired then 'gold_wins' fired and resolved."""
    put_values(small, "btc_drawdown", daily([-45, -46, -47]))
    put_values(small, "btc_vs_gold", daily([-35, 0, 0]))
    evaluate(small, daily([0, 0, 0])[-1][0])
    return ["--config", str(config_file), "--db", db_url]


def json_out(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    capsys.readouterr()
    assert run(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_alerts_lists_open_alerts(evaluated: list[str], capsys) -> None:
    rows = json_out(capsys, [*evaluated, "alerts", "--format", "json"])
    assert [(r["rule"], r["state"], r["value"], r["threshold"]) for r in rows] == [
        ("deep", "firing", -47.0, -40.0)
    ]
    assert run([*evaluated, "alerts"]) == 0
    assert "deep" in capsys.readouterr().out


def test_alerts_all_lists_every_event_as_json(evaluated: list[str], capsys) -> None:
    rows = json_out(capsys, [*evaluated, "alerts", "--all", "--format", "json"])
    assert [(r["rule"], r["state"], r["date"]) for r in rows] == [
        ("deep", "pending", "2024-01-01"),
        ("gold_wins", "firing", "2024-01-01"),
        ("stage", "firing", "2024-01-01"),
        ("deep", "firing", "2024-01-02"),
        ("gold_wins", "resolved", "2024-01-02"),
        ("stage", "resolved", "2024-01-02"),
    ]
    assert {"value", "threshold", "severity", "reason", "summary", "recorded_at"} <= set(rows[0])
    assert rows[1]["labels"] == {"team": "macro"}


def test_backtest_prints_transitions_and_stores_nothing(
    small: Runtime, db_url: str, config_file: Path, capsys
) -> None:
    put_values(small, "btc_drawdown", daily([-45, -46, -47, -10]))
    options = ["--config", str(config_file), "--db", db_url]
    rows = json_out(capsys, [*options, "backtest", "--format", "json", "--rule", "deep"])
    assert [(r["state"], r["date"], r["reason"]) for r in rows] == [
        ("pending", "2024-01-01", "pending"),
        ("firing", "2024-01-02", "first firing"),
        ("resolved", "2024-01-04", "resolved"),
    ]
    rows = json_out(capsys, [*options, "backtest", "-f", "json", "--since", "2024-01-03"])
    assert [(r["rule"], r["state"]) for r in rows] == [("deep", "pending"), ("deep", "inactive")]
    rows = json_out(capsys, [*options, "backtest", "-f", "json", "--until", "2024-01-01"])
    assert [(r["rule"], r["state"]) for r in rows] == [("deep", "pending")]
    assert run([*options, "backtest"]) == 0
    assert "first firing" in capsys.readouterr().out
    with session_scope(small.engine) as session:
        assert session.scalar(select(func.count()).select_from(AlertEvent)) == 0


def test_backtest_unknown_rule_is_a_usage_error(evaluated: list[str], capsys) -> None:
    assert run([*evaluated, "backtest", "--rule", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_status_shows_signals_states_alerts_and_deliveries(evaluated: list[str], capsys) -> None:
    report = json_out(capsys, [*evaluated, "status", "--format", "json"])
    signals = {s["signal"]: s for s in report["signals"]}
    assert signals["btc_drawdown"]["value"] == -47.0
    assert signals["btc_drawdown"]["state"] == "firing"
    assert signals["btc_vs_gold"]["state"] == "resolved"
    assert signals["fire_alarm_stage"]["value"] == 1.0
    assert [a["rule"] for a in report["alerts"]] == ["deep"]
    # deep firing, gold_wins firing and resolved, stage firing and resolved
    deliveries = report["deliveries"]
    assert {k: deliveries[k] for k in ("queued", "dead", "failed")} == {
        "queued": 5,
        "dead": 0,
        "failed": 0,
    }
    assert deliveries["overdue"] == 5  # queued in 2024 and never sent: nobody is dispatching
    assert deliveries["disabled_channels"] == [] and deliveries["deliverable"] is True
    assert run([*evaluated, "status"]) == 0
    out = capsys.readouterr().out
    assert "btc_drawdown" in out and "5 queued, 5 overdue" in out


BAD_RULES = {
    "unknown signal": ('signal = "btc_drawdown"', 'signal = "nothing"', "unknown signal"),
    "unknown op": ('op = "<"\nthreshold = -40.0', 'op = "<<"\nthreshold = -40.0', "op"),
    "clear on the wrong side": ("clear_threshold = -30.0", "clear_threshold = -50.0", "clear"),
    "negative for": ("for = 2", "for = -1", "for"),
    "bad summary": ("{value:.1f}%", "{valu}", "summary"),
}


@pytest.mark.parametrize("case", BAD_RULES, ids=list(BAD_RULES))
def test_bad_rule_exits_2_naming_the_rule_before_writing(case: str, tmp_path: Path, capsys) -> None:
    old, new, problem = BAD_RULES[case]
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.replace(old, new, 1), encoding="utf-8")
    database = tmp_path / "never.db"
    for command in (["evaluate"], ["backtest"], ["alerts"], ["status"]):
        assert run(["--config", str(path), "--db", f"sqlite:///{database}", *command]) == 2
        err = capsys.readouterr().err
        assert "deep" in err and problem in err, err
    assert not database.exists()


def test_a_stage_rule_may_not_read_the_stage(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.replace('[["deep"], ["gold_wins"]]', '[["deep"], ["stage"]]'))
    assert run(["--config", str(path), "backtest"]) == 2
    assert "'stage' reads 'fire_alarm_stage'" in capsys.readouterr().err


def test_status_prints_summaries_verbatim_not_as_markup(
    small: Runtime, db_url: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "markup.toml"
    path.write_text(CONFIG.replace('"{rule}: Bitcoin', '"[bold]{rule}[/bold] [errno 1]: Bitcoin'))
    put_values(small, "btc_drawdown", daily([-45, -46]))
    evaluate(small, daily([0, 0])[-1][0], parse_config(path.read_text()))
    assert run(["--config", str(path), "--db", db_url, "status"]) == 0
    assert "[bold]deep[/bold] [errno 1]: Bitcoin" in capsys.readouterr().out
