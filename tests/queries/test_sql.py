"""`firealarm sql`: read-only by the database itself, on SQLite and PostgreSQL, and the views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli import run
from monitor.errors import QueryError
from monitor.queries.sql import run_sql
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope
from monitor.store.models import SignalValue
from tests.api.seed import DAYS, START, btc_value, seed

WRITES = [
    "DELETE FROM signal_values",
    "UPDATE signal_values SET value = 0",
    "INSERT INTO channel_states (channel) VALUES ('x')",
    "DROP TABLE signal_values",
    "CREATE TABLE stolen (a INTEGER)",
    "WITH gone AS (DELETE FROM signal_values RETURNING *) SELECT COUNT(*) FROM gone",
    # A second statement that would switch the session back to read-write.
    "SET default_transaction_read_only = off; DELETE FROM signal_values",
]


def _count(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return session.scalar(select(func.count()).select_from(SignalValue)) or 0


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_and_nothing_changes(runtime: Runtime, statement: str) -> None:
    seed(runtime.engine)
    before = _count(runtime)
    with pytest.raises(QueryError):
        run_sql(runtime.config.database.url, statement)
    assert _count(runtime) == before == 3 * DAYS


def test_sqlite_cannot_write_other_files_either(sqlite_url: str, tmp_path: Path) -> None:
    open_runtime(None, sqlite_url).close()
    for statement in (
        f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other",
        f"VACUUM INTO '{tmp_path / 'copy.db'}'",
        "PRAGMA query_only = OFF",
    ):
        with pytest.raises(QueryError, match="read-only"):
            run_sql(sqlite_url, statement)
    assert not (tmp_path / "other.db").exists()
    assert not (tmp_path / "copy.db").exists()


def test_views_answer_the_common_questions(runtime: Runtime) -> None:
    seed(runtime.engine)
    url = runtime.config.database.url
    latest = run_sql(url, "SELECT signal, value FROM latest_signal_values ORDER BY signal").rows
    assert latest == [
        {"signal": "btc_vs_ndx", "value": btc_value(DAYS - 1)},
        {"signal": "fire_alarm_stage", "value": 1.0 if btc_value(DAYS - 1) < -25 else 0.0},
        {"signal": "igv_vs_ndx", "value": -3.0 - (DAYS - 1) / 10},
    ]
    open_alerts = run_sql(url, "SELECT rule, state FROM open_alerts ORDER BY rule").rows
    assert open_alerts == [
        {"rule": "btc_vs_ndx", "state": "firing"},
        {"rule": "igv_vs_ndx", "state": "pending"},
    ]
    history = run_sql(
        url, "SELECT state, value, deliveries, delivered FROM alert_history ORDER BY date"
    ).rows
    assert [(h["state"], h["deliveries"], h["delivered"]) for h in history] == [
        ("pending", 0, 0),
        ("firing", 1, 1),
        ("resolved", 1, 1),
        ("firing", 1, 0),
        ("pending", 0, 0),
    ]
    log = run_sql(url, "SELECT delivery_id, rule, alert_state, status FROM delivery_log").rows
    assert sorted((d["delivery_id"], d["status"]) for d in log) == [
        ("msg_0", "sent"),
        ("msg_1", "sent"),
        ("msg_2", "pending"),
    ]


def test_cli_prints_json_and_refuses_writes_with_exit_2(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(runtime.engine)
    db = ["--db", runtime.config.database.url]
    query = "SELECT date, value FROM signal_values WHERE signal = 'btc_vs_ndx' ORDER BY date"
    assert run([*db, "sql", query, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == DAYS
    assert rows[0]["value"] == btc_value(0)
    assert str(rows[0]["date"]).startswith(START.isoformat())
    assert run([*db, "sql", "DELETE FROM signal_values"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: refused: firealarm sql is read-only")
    assert len(captured.err.strip().splitlines()) == 1
    assert run([*db, "sql", "SELEC nonsense"]) == 2
    assert "error: sql:" in capsys.readouterr().err
