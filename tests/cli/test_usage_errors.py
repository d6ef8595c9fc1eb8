"""Bad usage is exit 2 with one plain line on stderr; help text shows what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import run


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(sqlite_url: str, capsys) -> list[str]:
    assert _cli(capsys, "--db", sqlite_url, "db", "upgrade")[0] == 0
    return ["--db", sqlite_url]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["history", "btc_vs_ndx", "--since", "2025-13-01"],
            "error: Invalid value for '--since': '2025-13-01' is not a date (use YYYY-MM-DD) "
            "(see 'firealarm history --help')",
        ),
        (
            ["evaluate", "--as-of", "yesterday"],
            "error: Invalid value for '--as-of': 'yesterday' is not a date (use YYYY-MM-DD) "
            "(see 'firealarm evaluate --help')",
        ),
        (
            ["signals", "--format", "xml"],
            "error: Invalid value for '--format' / '-f': 'xml' is not one of 'table', 'json', "
            "'csv' (see 'firealarm signals --help')",
        ),
        (["history"], "error: Missing argument 'signal' (see 'firealarm history --help')"),
        (["nosuch"], "error: No such command 'nosuch' (see 'firealarm --help')"),
        (
            ["history", "btc_vs_ndx", "--since", "2025-07-01", "--until", "2025-06-01"],
            "error: --since 2025-07-01 is after --until 2025-06-01",
        ),
        (
            ["backtest", "--since", "2025-07-01", "--until", "2025-06-01"],
            "error: --since 2025-07-01 is after --until 2025-06-01",
        ),
        (
            ["import", "missing.csv"],
            "error: Invalid value for 'FILE': file 'missing.csv' does not exist "
            "(see 'firealarm import --help')",
        ),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    db: list[str], capsys, argv: list[str], expected: str
) -> None:
    code, out, err = _cli(capsys, *db, *argv)
    assert (code, out, err) == (2, "", expected + "\n")


def test_unknown_backtest_rule_lists_known_rules_as_text(db: list[str], capsys) -> None:
    code, _, err = _cli(capsys, *db, "backtest", "--rule", "nosuch")
    assert code == 2
    assert err.startswith("error: --rule: unknown rule(s) nosuch (known: axp_vs_igv, btc_drawdown,")
    assert "[" not in err and len(err.splitlines()) == 1


def test_symbol_with_several_files_is_bad_usage(db: list[str], tmp_path: Path, capsys) -> None:
    files = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for file in files:
        file.write_text("Date,Close\n2024-01-02,10\n")
    code, _, err = _cli(capsys, *db, "import", "--symbol", "IGV", *map(str, files))
    assert (code, err) == (2, "error: --symbol: names one series: give one file with it\n")


def test_help_shows_brackets_as_text(capsys) -> None:
    code, out, _ = _cli(capsys, "notify-test", "--help")
    assert code == 0 and "[channels.*]" in out and "Channel name from ." not in out


def test_no_arguments_prints_the_help(capsys) -> None:
    code, out, err = _cli(capsys)
    assert code == 2 and "Usage: firealarm" in out and "notify-test" in out and err == ""
