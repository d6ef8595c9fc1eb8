"""Listings as users see them: never an ellipsis, full width when piped, quiet on a closed pipe."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from monitor.cli import run
from monitor.cli.output import Format, emit

COLUMNS = ["id", "date", "close", "status", "last_error"]
ROWS = [
    {
        "id": f"msg_01J{n}ZK6Q3V8F2X7W9YB4NDT5HC",
        "date": date(2025, 6, 20 + n),
        "close": 21626.0 + n * 1111.123,
        "status": "failed",
        "last_error": f"HTTP 503 from https://hooks.example.com/firealarm/{n} after 10 s",
    }
    for n in range(3)
]
# As a table shows them (floats with 4 decimals), without the spaces wrapping may drop.
SHOWN = {
    "id": [r["id"] for r in ROWS],
    "date": [r["date"].isoformat() for r in ROWS],
    "close": [f"{r['close']:,.4f}" for r in ROWS],
    "status": [r["status"] for r in ROWS],
    "last_error": [r["last_error"].replace(" ", "") for r in ROWS],
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _columns_of(table: str) -> list[str]:
    """Each body column's cells joined across folded lines, spaces removed."""
    joined = [""] * len(COLUMNS)
    for line in ANSI.sub("", table).splitlines():
        if line.startswith("│"):
            for index, part in enumerate(line.split("│")[1:-1]):
                joined[index] += part.replace(" ", "")
    return joined


@pytest.mark.parametrize("width", ["80", "50", "20"])
def test_a_narrow_terminal_folds_cells_and_loses_nothing(
    width: str, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich treats stdout as a terminal
    monkeypatch.setenv("COLUMNS", width)
    monkeypatch.setenv("NO_COLOR", "1")
    emit(ROWS, COLUMNS, Format.table, title="deliveries")
    out = capsys.readouterr().out
    assert "…" not in out
    assert _columns_of(out) == ["".join(SHOWN[c]) for c in COLUMNS]
    narrowest = len(COLUMNS) * 7 + 1  # below that the terminal wraps the lines instead
    assert max(len(ANSI.sub("", line)) for line in out.splitlines()) == max(int(width), narrowest)


def test_piped_tables_keep_every_value_whole_on_its_line(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal elsewhere: not what a pipe gets
    emit(ROWS, COLUMNS, Format.table)
    lines = capsys.readouterr().out.splitlines()
    for row in range(len(ROWS)):
        line = next(line for line in lines if SHOWN["id"][row] in line)
        assert ROWS[row]["last_error"] in line and SHOWN["close"][row] in line
    assert not any("…" in line for line in lines)


@pytest.fixture
def ndx_db(tmp_path: Path, data_dir: Path, capsys) -> str:
    url = f"sqlite:///{tmp_path / 'fa.db'}"
    assert run(["--db", url, "import", str(data_dir / "yahoo" / "^NDX.csv")]) == 0
    capsys.readouterr()
    return url


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_reader_that_stops_early_ends_the_command_quietly(ndx_db: str, fmt: str) -> None:
    # What `firealarm prices ^NDX | head -1` does: the reader closes the pipe after one line,
    # while the command still has hundreds of kilobytes to write.
    command = [sys.executable, "-m", "monitor", "--db", ndx_db, "prices", "^NDX", "-f", fmt]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        assert process.wait(timeout=60) == 0
        assert process.stderr.read() == ""
