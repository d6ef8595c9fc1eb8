"""init, db upgrade, import, fetch and prices as a user runs them: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from monitor.cli import run
from monitor.config import load_config
from monitor.errors import StoreError
from monitor.ingest import fetch as ingest
from monitor.runtime import open_runtime
from monitor.store.database import create_db_engine


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_writes_config_and_database(tmp_path: Path, capsys) -> None:
    db = tmp_path / "fa.db"
    target = tmp_path / "firealarm.toml"
    code, _, err = _cli(capsys, "--db", f"sqlite:///{db}", "init", "--path", str(target))
    assert code == 0 and target.exists() and db.exists()
    assert "database ready" in err
    code, _, err = _cli(capsys, "--db", f"sqlite:///{db}", "init", "--path", str(target))
    assert code == 2 and "already exists" in err


def test_init_writes_the_database_it_was_given_into_the_config(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIREALARM_DATABASE_URL", raising=False)
    url, target = f"sqlite:///{tmp_path / 'elsewhere.db'}", tmp_path / "fa.toml"
    assert _cli(capsys, "--db", url, "init", "--path", str(target))[0] == 0
    assert load_config(target).database.url == url
    assert "# FIREALARM_DATABASE_URL (or --db) overrides this" in target.read_text()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://fa:s3cret@127.0.0.1:1/x",
        "postgresql://fa@127.0.0.1:1/x?password=s3cret",
        "postgresql://fa@127.0.0.1:1/x?password=s3cret&sslpassword=s3cret",
    ],
)
def test_init_keeps_a_database_password_out_of_the_file_and_every_message(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.delenv("FIREALARM_DATABASE_URL", raising=False)
    target = tmp_path / "fa.toml"
    code, out, err = _cli(capsys, "--db", url, "init", "--path", str(target))
    assert code == 1 and "password is not written" in err  # written, then no server there
    assert load_config(target).database.url == "postgresql+psycopg://fa@127.0.0.1:1/x"
    assert "s3cret" not in target.read_text() + out + err
    assert "***" in err  # the connection error names the database, masked
    code, out, err = _cli(capsys, "--db", url, "status")
    assert code == 1 and "s3cret" not in out + err and "***" in err


def test_init_into_a_missing_folder_is_one_line(tmp_path: Path, capsys) -> None:
    target = tmp_path / "nope" / "fa.toml"
    code, _, err = _cli(capsys, "init", "--path", str(target))
    assert (code, err) == (2, f"error: {target}: cannot write: No such file or directory\n")


@pytest.mark.parametrize(
    "argv",
    [["signals"], ["status"], ["prices", "IGV"], ["history", "btc_vs_ndx"], ["sql", "SELECT 1"]],
)
def test_reading_a_missing_database_says_how_to_create_it(
    tmp_path: Path, capsys, argv: list[str]
) -> None:
    db = tmp_path / "none.db"
    code, out, err = _cli(capsys, "--db", f"sqlite:///{db}", *argv)
    assert (code, out) == (1, "")
    assert err == (
        f"error: no database at {db}: create it with `firealarm init` (or `firealarm db "
        "upgrade`), or load data with `firealarm fetch` or `firealarm import FILE…`\n"
    )
    assert not db.exists()


def test_import_and_list_prices_in_every_format(db_url: str, data_dir: Path, capsys) -> None:
    code, _, err = _cli(capsys, "--db", db_url, "import", str(data_dir / "fred" / "WALCL.csv"))
    assert code == 0 and "965 rows as WALCL" in err
    code, out, _ = _cli(
        capsys, "--db", db_url, "prices", "WALCL", "--since", "2025-06-18", "--format", "json"
    )
    rows = json.loads(out)
    assert code == 0 and [r["date"] for r in rows] == ["2025-06-18", "2025-06-25"]
    assert rows[-1]["close"] == 6662200 and rows[-1]["available_date"] == "2025-06-26"
    code, out, _ = _cli(
        capsys, "--db", db_url, "prices", "WALCL", "--since", "2025-06-25", "--format", "csv"
    )
    assert out.splitlines() == [
        "date,close,open,high,low,adj_close,volume,available_date,provider",
        "2025-06-25,6662200.0,,,,,,2025-06-26,fred",  # an import is its primary provider's
    ]
    code, out, _ = _cli(capsys, "--db", db_url, "prices", "WALCL", "--since", "2025-06-25")
    assert code == 0 and "6,662,200" in out


def test_bad_csv_exits_1_with_one_line(sqlite_url: str, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "IGV.csv"
    bad.write_text("Date,Close\n2024-01-02,10\n2024/01/03,11\n")
    code, _, err = _cli(capsys, "--db", sqlite_url, "import", str(bad))
    assert code == 1
    assert err.strip() == (
        f"error: {bad}:3: date '2024/01/03' is unparseable or ambiguous (use YYYY-MM-DD)"
    )


def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path, capsys) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[server]\nport = 'x'\n")
    code, _, err = _cli(capsys, "--config", str(config), "prices", "IGV")
    assert code == 2
    assert (
        err.strip() == f"error: {config}: server.port: Input should be a valid integer, "
        "unable to parse string as an integer"
    )


def test_bad_backfill_start_is_refused_at_load_not_in_fetch(tmp_path: Path, capsys) -> None:
    config = tmp_path / "fa.toml"
    config.write_text('[fetch]\nbackfill_start = "yesterday"\n')
    code, out, err = _cli(capsys, "--config", str(config), "fetch")
    assert (code, out) == (2, "")
    assert err == (
        f"error: {config}: fetch.backfill_start: not a date: 'yesterday' (use YYYY-MM-DD)\n"
    )


def test_unknown_symbol_and_bad_date_are_usage_errors(sqlite_url: str, capsys) -> None:
    assert _cli(capsys, "--db", sqlite_url, "db", "upgrade")[0] == 0
    code, _, err = _cli(capsys, "--db", sqlite_url, "prices", "NOPE")
    assert code == 2 and "unknown instrument 'NOPE'" in err
    code, _, err = _cli(capsys, "--db", sqlite_url, "prices", "IGV", "--since", "01-04-1991")
    assert code == 2 and "--since" in err


def test_unreachable_database_is_one_clear_line(capsys) -> None:
    code, _, err = _cli(
        capsys, "--db", "postgresql://firealarm:s3cret@127.0.0.1:1/x", "db", "upgrade"
    )
    assert code == 1
    assert err.startswith("error: database postgresql+psycopg://firealarm:***@127.0.0.1:1/x")
    assert "s3cret" not in err and len(err.strip().splitlines()) == 1


def test_fetch_command_from_a_csv_source(tmp_path: Path, data_dir: Path, capsys) -> None:
    config = tmp_path / "fa.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "fa.db"}"\n'
        f'[[instruments]]\nsymbol = "GLD"\nsource = "csv"\npath = "{data_dir / "yahoo/GLD.csv"}"\n'
    )
    code, _, err = _cli(capsys, "--config", str(config), "fetch", "--since", "2025-06-01")
    assert code == 0 and "csv: ok, 20 rows" in err  # June 2025 less Juneteenth


@pytest.mark.parametrize(
    "only",
    [["--only", "GLD", "IGV"], ["--only", "GLD", "--only", "IGV"], ["--only", "IGV", "GLD"]],
)
def test_fetch_only_takes_several_symbols(
    tmp_path: Path, data_dir: Path, capsys, only: list[str]
) -> None:
    config = tmp_path / "fa.toml"
    instruments = "".join(
        f'[[instruments]]\nsymbol = "{s}"\nsource = "csv"\npath = "{data_dir / "yahoo" / s}.csv"\n'
        for s in ("GLD", "IGV", "XLF")
    )
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "fa.db"}"\n{instruments}')
    argv = ["--config", str(config), "fetch", "--since", "2025-06-01", *only]
    code, _, err = _cli(capsys, *argv)
    assert code == 0 and "csv: ok, 40 rows" in err  # 20 June sessions each, XLF left out
    code, out, _ = _cli(capsys, "--config", str(config), "prices", "XLF", "-f", "json")
    assert (code, out) == (0, "[]\n")


def test_fetch_takes_symbols_only_after_only(tmp_path: Path, capsys) -> None:
    code, _, err = _cli(capsys, "--db", f"sqlite:///{tmp_path / 'fa.db'}", "fetch", "GLD")
    assert (code, err) == (2, "error: unexpected argument 'GLD': symbols go after --only\n")


def test_fetch_says_when_it_re_read_a_rescaled_history(
    tmp_path: Path, data_dir: Path, capsys
) -> None:
    source = tmp_path / "GLD.csv"
    lines = (data_dir / "yahoo" / "GLD.csv").read_text().splitlines()
    source.write_text("\n".join(lines) + "\n")
    config = tmp_path / "fa.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "fa.db"}"\n'
        f'[[instruments]]\nsymbol = "GLD"\nsource = "csv"\npath = "{source}"\n'
    )
    assert _cli(capsys, "--config", str(config), "fetch", "--since", "2025-06-01")[0] == 0
    halved = [lines[0]] + [
        f"{day},{float(close) / 2}" for day, close in (x.split(",") for x in lines[1:])
    ]
    source.write_text("\n".join(halved) + "\n")  # a 2-for-1 split, as adjusted closes show it
    code, _, err = _cli(capsys, "--config", str(config), "fetch")
    assert code == 0 and "csv: ok, 20 rows, history of GLD rescaled upstream and re-read" in err


def test_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "--db",
            f"sqlite:///{tmp_path}/x.db",
            "prices",
            "IGV",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert "create it with `firealarm init`" in result.stderr and "Traceback" not in result.stderr


def test_locked_database_fails_clearly_and_loses_nothing(sqlite_url: str, data_dir) -> None:
    runtime = open_runtime(None, sqlite_url)
    path = data_dir / "yahoo" / "GLD.csv"
    holder = create_engine(sqlite_url).raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    impatient = create_db_engine(sqlite_url, busy_timeout_ms=200)
    with pytest.raises(StoreError, match="database is locked"):
        ingest.import_files(runtime.config, impatient, [path])
    threading.Timer(0.3, holder.rollback).start()  # the other writer finishes soon
    started = time.monotonic()
    (report,) = ingest.import_files(runtime.config, runtime.engine, [path])
    assert report.rows == 5155 and time.monotonic() - started < 10
    holder.close()
    impatient.dispose()
    runtime.close()


def test_table_cells_are_text_not_markup(capsys) -> None:
    from monitor.cli.output import Format, emit

    emit(
        [{"summary": "[bold]AmEx[/bold] fades [x]", "state": "firing"}],
        ["summary", "state"],
        Format.table,
    )
    out = capsys.readouterr().out
    assert "[bold]AmEx[/bold] fades [x]" in out and "firing" in out


def test_import_says_how_many_bars_were_not_closed_yet(
    sqlite_url: str, tmp_path: Path, capsys
) -> None:
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in (40, 39, 38)] + [
        today + timedelta(days=n) for n in (1, 2)
    ]
    path = tmp_path / "BTC-USD.csv"
    path.write_text("Date,Close\n" + "".join(f"{d},{100 + i}\n" for i, d in enumerate(days)))
    code, _, err = _cli(capsys, "--db", sqlite_url, "import", str(path))
    assert code == 0
    assert f"{path}: 3 rows as BTC-USD (2 bars not closed yet skipped)" in " ".join(err.split())


def test_fetch_of_an_unknown_symbol_is_refused_before_making_a_database(
    tmp_path: Path, capsys
) -> None:
    database = tmp_path / "new.db"
    code, _, err = _cli(capsys, "--db", f"sqlite:///{database}", "fetch", "--only", "NOPE")
    assert code == 2 and "unknown instrument 'NOPE'" in err
    assert not database.exists()
