"""evaluate, signals, history and scenario as a user runs them: output and exit codes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli import run
from monitor.store.database import create_db_engine, session_scope
from monitor.store.models import RuleState


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _load(db: str, data_dir: Path, capsys) -> None:
    files = [str(data_dir / "yahoo" / f) for f in ("BTC-USD.csv", "^NDX.csv", "GLD.csv")]
    assert _cli(capsys, "--db", db, "import", *files)[0] == 0


def test_evaluate_then_history_json(db_url: str, data_dir: Path, capsys) -> None:
    _load(db_url, data_dir, capsys)
    code, out, err = _cli(capsys, "--db", db_url, "evaluate")
    assert code == 0 and out == ""
    assert "btc_vs_ndx: all history, 3850 written, 0 removed, latest 2025-06-30" in err
    code, out, _ = _cli(
        capsys, "--db", db_url, "history", "btc_vs_ndx", "--since", "2025-06-29", "--format", "json"
    )
    rows = json.loads(out)
    assert code == 0 and [r["date"] for r in rows] == ["2025-06-29", "2025-06-30"]
    assert all(set(r) == {"date", "value"} and isinstance(r["value"], float) for r in rows)
    code, out, _ = _cli(
        capsys, "--db", db_url, "history", "btc_drawdown", "--until", "2014-09-18", "-f", "csv"
    )
    assert out.splitlines()[0] == "date,value" and out.splitlines()[-1].startswith("2014-09-18,")
    code, _, err = _cli(capsys, "--db", db_url, "evaluate")
    assert "btc_vs_ndx: from 2025-06-30, 0 written" in err  # nothing changed: the last date only


def test_signals_lists_latest_value_and_most_severe_rule_state(
    sqlite_url: str, data_dir: Path, capsys
) -> None:
    _load(sqlite_url, data_dir, capsys)
    assert _cli(capsys, "--db", sqlite_url, "evaluate", "--as-of", "2025-06-01")[0] == 0
    engine = create_db_engine(sqlite_url)
    now = datetime(2025, 6, 2, tzinfo=UTC)
    with session_scope(engine) as session:
        # beside the state evaluate stored for the rule btc_vs_ndx (resolved), a pending one
        session.add(RuleState(fingerprint="a", rule="btc_vs_ndx", state="pending", updated_at=now))
    engine.dispose()
    code, out, _ = _cli(capsys, "--db", sqlite_url, "signals", "--format", "json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and list(rows)[:2] == ["btc_vs_ndx", "igv_vs_ndx"]
    assert rows["btc_vs_ndx"]["date"] == "2025-06-01" and rows["btc_vs_ndx"]["state"] == "pending"
    assert rows["btc_drawdown"]["state"] == "resolved"  # as evaluated by the rules
    assert rows["usd_liquidity"]["state"] is None  # no rule watches it
    assert rows["igv_vs_ndx"] == {"id": "igv_vs_ndx", "date": None, "value": None, "state": None}
    assert "fire_alarm_stage" in rows


def test_unknown_signal_exits_2_naming_known_ids(sqlite_url: str, capsys) -> None:
    assert _cli(capsys, "--db", sqlite_url, "db", "upgrade")[0] == 0
    code, out, err = _cli(capsys, "--db", sqlite_url, "history", "btc_vs_nasdaq")
    assert code == 2 and out == ""
    assert "unknown signal 'btc_vs_nasdaq'" in err and "btc_vs_ndx" in err
    assert len(err.strip().splitlines()) == 1


def test_formula_without_units_is_a_config_error(sqlite_url: str, tmp_path: Path, capsys) -> None:
    from monitor.config import default_config_text

    config = tmp_path / "c.toml"
    # WALCL is the first instrument declaring millions: drop its unit.
    config.write_text(default_config_text().replace('unit = "millions_usd"\n', "", 1))
    code, _, err = _cli(capsys, "--config", str(config), "--db", sqlite_url, "evaluate")
    assert code == 2
    assert "signal 'usd_liquidity': input 'WALCL' has no 'unit'" in err


def _scenario(capsys, *argv: str) -> dict[str, dict]:
    code, out, _ = _cli(capsys, "scenario", *argv, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and all(list(r) == ["quantity", "value", "essay", "note"] for r in rows)
    return {r["quantity"]: r for r in rows}


def test_scenario_defaults_reproduce_the_essay(capsys) -> None:
    rows = _scenario(capsys)
    assert round(rows["consumer_loss_bn"]["value"]) == 330 == rows["consumer_loss_bn"]["essay"]
    assert round(rows["mortgage_loss_bn"]["value"]) == 227 == rows["mortgage_loss_bn"]["essay"]
    assert round(rows["write_down_pct"]["value"]) == 13 == rows["write_down_pct"]["essay"]
    assert rows["displaced"] == {"quantity": "displaced", "value": 0.2, "essay": 0.2, "note": ""}
    assert rows["mortgage_loss_rate"]["value"] == 0.2026
    assert rows["mortgage_loss_rate"]["note"] == "calibrated to the essay"


def test_scenario_is_one_listing_in_every_format(capsys) -> None:
    rows = list(_scenario(capsys, "--displaced", "0.3").values())
    code, out, _ = _cli(capsys, "scenario", "--displaced", "0.3", "--format", "csv")
    assert code == 0
    assert list(csv.DictReader(io.StringIO(out))) == [
        {k: "" if v is None else str(v) for k, v in row.items()} for row in rows
    ]
    code, out, _ = _cli(capsys, "scenario", "--displaced", "0.3")
    assert code == 0 and all(row["quantity"] in out for row in rows)
    assert "calibrated to the essay" in out and "2025Q2" in out


def test_scenario_options(capsys) -> None:
    rows = _scenario(capsys, "--displaced", "0.4", "--equity-bn", "2000")
    assert rows["consumer_loss_bn"]["value"] == pytest.approx(659.2)
    assert rows["write_down_pct"]["value"] == pytest.approx(
        (659.2 + 453.9998568 - 236) / 2000 * 100
    )
    code, out, _ = _cli(capsys, "scenario", "--help")
    assert code == 0 and "--displaced" in out and "--reserves-bn" in out and "Example" in out


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--displaced", "-0.1", "greater than or equal to 0"),
        ("--displaced", "1.5", "less than or equal to 1"),
        ("--mortgage-loss-rate", "1.01", "less than or equal to 1"),
        ("--equity-bn", "0", "greater than or equal to 0.001"),
    ],
)
def test_scenario_refuses_inputs_out_of_range(capsys, option: str, value: str, problem: str):
    code, out, err = _cli(capsys, "scenario", option, value)
    assert (code, out) == (2, "")
    assert err == (
        f"error: Invalid value for '{option}': Input should be {problem} "
        "(see 'firealarm scenario --help')\n"
    )


def test_evaluate_as_of_option(sqlite_url: str, data_dir: Path, capsys) -> None:
    _load(sqlite_url, data_dir, capsys)
    code, _, err = _cli(capsys, "--db", sqlite_url, "evaluate", "--as-of", "2020-03-31")
    assert code == 0 and "btc_vs_ndx: all history" in err and "latest 2020-03-31" in err
    code, out, _ = _cli(capsys, "--db", sqlite_url, "signals", "-f", "json")
    assert {r["date"] for r in json.loads(out) if r["date"]} == {date(2020, 3, 31).isoformat()}


def test_evaluate_refuses_a_future_as_of_and_writes_nothing(sqlite_url: str, capsys) -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    code, _, err = _cli(capsys, "--db", sqlite_url, "evaluate", "--as-of", str(tomorrow))
    assert code == 2
    assert f"--as-of: {tomorrow} is in the future" in err
    assert "Traceback" not in err
    code, out, _ = _cli(capsys, "--db", sqlite_url, "alerts", "--all", "-f", "json")
    assert code == 0 and json.loads(out) == []
