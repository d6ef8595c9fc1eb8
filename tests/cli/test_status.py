"""``firealarm status`` is a report of several tables: table or JSON, and CSV is refused."""

from __future__ import annotations

import json

import pytest

from monitor.cli import run


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_status_json_is_one_object_with_a_key_per_section(sqlite_url: str, capsys) -> None:
    assert _cli(capsys, "--db", sqlite_url, "db", "upgrade")[0] == 0
    code, out, _ = _cli(capsys, "--db", sqlite_url, "status", "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert list(report) == ["config", "sources", "signals", "alerts", "deliveries", "daemon"]
    assert report["signals"][0] == {
        "date": None,
        "value": None,
        "state": None,
        "signal": "btc_vs_ndx",
        "rules": "btc_vs_ndx",
    }


def test_status_refuses_csv_and_names_the_listings_that_give_it(sqlite_url: str, capsys) -> None:
    assert _cli(capsys, "--db", sqlite_url, "db", "upgrade")[0] == 0
    code, out, err = _cli(capsys, "--db", sqlite_url, "status", "--format", "csv")
    assert (code, out) == (2, "")
    assert err == (
        "error: Invalid value for '--format' / '-f': 'csv' is not one of 'table', 'json' "
        "(see 'firealarm status --help')\n"
    )
    code, out, _ = _cli(capsys, "status", "--help")
    assert "For CSV use the listings" in " ".join(out.split())
