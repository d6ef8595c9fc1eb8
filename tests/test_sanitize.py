"""Remote text without control characters; CSV cells a spreadsheet would run, neutralised."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from monitor.api.responses import table_response
from monitor.cli import run
from monitor.cli.output import Format, emit
from monitor.runtime import Runtime
from monitor.sanitize import csv_cell, printable


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("plain text", "plain text"),
        ("caf\u00e9 \u2014 ok", "caf\u00e9 \u2014 ok"),
        ("a\x1b[31mred\x1b[0m", "a[31mred[0m"),
        ("title\x1b]0;pwned\x07", "title]0;pwned"),
        ("two\r\nlines\tand\x00nul\x7f\x9b", "two  lines andnul"),
    ],
)
def test_printable_drops_control_characters(text: str, clean: str) -> None:
    assert printable(text) == clean


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-12.5", "-12.5"),  # a number written as text is still a number
        ("+3e5", "+3e5"),
        (-12.5, -12.5),  # numbers are data, never formulas
        (-3, -3),
        ("btc_vs_ndx", "btc_vs_ndx"),
        ("a=b", "a=b"),
    ],
)
def test_csv_cell_neutralises_formulas_only(value: object, written: object) -> None:
    assert csv_cell(value) == written


ROWS = [{"rule": "=cmd()", "value": -12.5, "summary": "@evil", "label": "-7"}]
COLUMNS = ["rule", "value", "summary", "label"]
EXPECTED = [COLUMNS, ["'=cmd()", "-12.5", "'@evil", "-7"]]


def test_the_cli_csv_export_neutralises_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    emit(ROWS, COLUMNS, Format.csv)
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == EXPECTED
    emit(ROWS, COLUMNS, Format.json)  # JSON is data for programs: unchanged
    assert json.loads(capsys.readouterr().out) == ROWS


def test_the_api_csv_export_neutralises_formulas() -> None:
    app = FastAPI()

    @app.get("/rows")
    def rows(request: Request):  # type: ignore[no-untyped-def]
        return table_response(request, ROWS, COLUMNS, None, name="rows")

    body = TestClient(app).get("/rows", headers={"Accept": "text/csv"}).text
    assert list(csv.reader(io.StringIO(body))) == EXPECTED


def test_firealarm_sql_csv_neutralises_text_not_numbers(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("the export is the same code on both databases; sql needs a reader on pg")
    statement = "SELECT '=1+1' AS f, -12.5 AS n, '-12.5' AS t"
    db = runtime.config.database.url
    assert run(["--db", db, "sql", statement, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["f,n,t", "'=1+1,-12.5,-12.5"]
