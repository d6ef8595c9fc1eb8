"""`firealarm sql`: read-only by the database itself, on SQLite and PostgreSQL, and the views."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from monitor.cli import run
from monitor.errors import ConfigError, QueryError
from monitor.queries.sql import run_sql
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope
from monitor.store.models import SignalValue
from monitor.store.reader import create_reader
from tests.api.seed import DAYS, START, btc_value, seed
from tests.conftest import Bystander

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
def test_writes_are_refused_and_nothing_changes(
    runtime: Runtime, sql_url: str, statement: str
) -> None:
    seed(runtime.engine)
    before = _count(runtime)
    with pytest.raises(QueryError):
        run_sql(sql_url, statement)
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


def test_views_answer_the_common_questions(runtime: Runtime, sql_url: str) -> None:
    seed(runtime.engine)
    url = sql_url
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
    runtime: Runtime, sql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(runtime.engine)
    db = ["--db", sql_url]
    query = "SELECT date, value FROM signal_values WHERE signal = 'btc_vs_ndx' ORDER BY date"
    assert run([*db, "sql", query, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == DAYS
    assert rows[0]["value"] == btc_value(0)
    assert str(rows[0]["date"]).startswith(START.isoformat())
    assert run([*db, "sql", "DELETE FROM signal_values RETURNING *"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: refused: firealarm sql is read-only")
    assert len(captured.err.strip().splitlines()) == 1
    assert run([*db, "sql", "SELEC nonsense"]) == 2
    assert "error: sql:" in capsys.readouterr().err


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    return captured.err


def test_a_superuser_is_refused_before_anything_runs(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if runtime.engine.dialect.name == "sqlite":
        pytest.skip("roles are PostgreSQL's")
    # The test server's files are this machine's: the program would leave this file behind.
    pwned = tmp_path / "pwned"
    tmp_path.chmod(0o777)
    statement = f"COPY (SELECT 1) TO PROGRAM 'touch {pwned}'"
    assert run(["--db", runtime.config.database.url, "sql", statement]) == 2
    assert "is a superuser" in _one_line_error(capsys)
    assert not pwned.exists()
    for reach in ("SELECT pg_read_file('/etc/hostname')", "SELECT 1"):
        with pytest.raises(QueryError, match="create-reader"):
            run_sql(runtime.config.database.url, reach)


def test_a_member_of_a_server_access_role_is_refused(runtime: Runtime, sql_url: str) -> None:
    if runtime.engine.dialect.name == "sqlite":
        pytest.skip("roles are PostgreSQL's")
    reader = make_url(sql_url).username
    with runtime.engine.connect() as connection:
        connection.execute(text(f'GRANT pg_read_server_files TO "{reader}"'))
        connection.commit()
    with pytest.raises(QueryError, match="a member of pg_read_server_files"):
        run_sql(sql_url, "SELECT 1")


READER_REFUSALS = [
    "COPY (SELECT 1) TO PROGRAM 'touch /tmp/firealarm-pwned'",
    "SELECT pg_read_file('/etc/hostname')",
    "SELECT lo_import('/etc/hostname')",
    "SELECT pg_reload_conf()",
    "SELECT pg_terminate_backend({bystander})",
    "SELECT * FROM pg_authid",
    "DELETE FROM signal_values RETURNING *",
]


@pytest.mark.parametrize("statement", READER_REFUSALS)
def test_the_reader_can_write_no_row_read_no_file_run_no_program(
    runtime: Runtime, sql_url: str, statement: str, bystander: Bystander
) -> None:
    if runtime.engine.dialect.name == "sqlite":
        pytest.skip("the reader role is PostgreSQL's")
    seed(runtime.engine)
    with pytest.raises(QueryError, match="refused"):
        run_sql(sql_url, statement.format(bystander=bystander.pid))
    assert _count(runtime) == 3 * DAYS
    assert bystander.alive()
    assert not Path("/tmp/firealarm-pwned").exists()


def test_create_reader_is_idempotent_and_sees_tables_added_later(
    runtime: Runtime, sql_url: str
) -> None:
    if runtime.engine.dialect.name == "sqlite":
        with pytest.raises(ConfigError, match="PostgreSQL"):
            create_reader(runtime.engine, "reader")
        return
    reader = make_url(sql_url).username
    create_reader(runtime.engine, reader)  # again: re-grants, no error
    with runtime.engine.connect() as connection:  # what a later migration would do
        connection.execute(text("CREATE TABLE later_table (a INTEGER)"))
        connection.commit()
    assert run_sql(sql_url, "SELECT COUNT(*) AS n FROM later_table").rows == [{"n": 0}]
    with pytest.raises(ConfigError, match="role name"):
        create_reader(runtime.engine, "Robert'); DROP TABLE x;--")


@pytest.mark.parametrize(
    ("postgres", "sqlite"),
    [
        ("SET work_mem = '1MB'", "PRAGMA user_version = 1"),
        ("DO $$ BEGIN PERFORM 1; END $$", "PRAGMA optimize"),
        ("BEGIN", "BEGIN"),
        ("SAVEPOINT s", "SAVEPOINT s"),
    ],
)
def test_statements_without_rows_are_one_line_exit_2(
    runtime: Runtime, sql_url: str, postgres: str, sqlite: str, capsys: pytest.CaptureFixture[str]
) -> None:
    statement = sqlite if runtime.engine.dialect.name == "sqlite" else postgres
    assert run(["--db", sql_url, "sql", statement]) == 2
    assert _one_line_error(capsys).startswith("error: refused")


def test_a_slow_statement_stops_at_the_timeout(
    runtime: Runtime, sql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
        if runtime.engine.dialect.name == "sqlite"
        else "SELECT pg_sleep(60)"
    )
    started = time.monotonic()
    assert run(["--db", sql_url, "sql", slow, "--timeout", "1"]) == 1
    assert time.monotonic() - started < 20
    assert "stopped after 1 s" in _one_line_error(capsys)


def test_output_is_bounded_in_rows_and_bytes(
    runtime: Runtime, sql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite = runtime.engine.dialect.name == "sqlite"
    many = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000) SELECT x FROM c"
        if sqlite
        else "SELECT generate_series(1, 1000) AS x"
    )
    assert run(["--db", sql_url, "sql", many, "--max-rows", "999"]) == 1
    assert "more than 999 rows" in _one_line_error(capsys)
    assert run(["--db", sql_url, "sql", many, "--max-rows", "1000", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1001
    big = "SELECT randomblob(1000000000)" if sqlite else "SELECT repeat('x', 2000000)"
    assert run(["--db", sql_url, "sql", big, "--max-bytes", "1000000"]) == 1
    assert "larger than 1,000,000 bytes" in _one_line_error(capsys)


def test_blobs_and_numerics_print_as_json(
    runtime: Runtime, sql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite = runtime.engine.dialect.name == "sqlite"
    statement = (
        "SELECT x'00ff' AS b, 1.5 AS n"
        if sqlite
        else "SELECT '\\x00ff'::bytea AS b, 1.5::numeric AS n, interval '1 day' AS i"
    )
    assert run(["--db", sql_url, "sql", statement, "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["b"] == "\\x00ff" and row["n"] == 1.5
    assert sqlite or row["i"] == "1 day, 0:00:00"
