"""Importing the shared real data: exact row counts and values, on both databases."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from monitor.errors import DataError
from monitor.ingest import fetch as ingest
from monitor.queries.prices import prices
from monitor.runtime import Runtime
from monitor.store.database import session_scope


def _expected(path: Path) -> dict[str, float]:
    """Close by date, read with the csv module alone (Close, or the FRED value, is last)."""
    with path.open() as handle:
        reader = csv.reader(handle)
        next(reader)
        return {row[0]: float(row[-1]) for row in reader if row[-1] not in ("", ".")}


def test_shared_data_imports_exactly(runtime: Runtime, data_dir: Path) -> None:
    files = sorted(data_dir.glob("*/*.csv"))
    reports = ingest.import_files(runtime.config, runtime.engine, files)
    with session_scope(runtime.engine) as session:
        for path, report in zip(files, reports, strict=True):
            expected = _expected(path)
            stored = {r["date"].isoformat(): r["close"] for r in prices(session, path.stem)}
            assert report.rows == len(expected), path.name
            assert stored.keys() == expected.keys(), path.name
            assert all(math.isclose(stored[d], v, rel_tol=1e-12) for d, v in expected.items())


def test_reimport_is_idempotent(runtime: Runtime, data_dir: Path) -> None:
    path = data_dir / "yahoo" / "IGV.csv"
    ingest.import_files(runtime.config, runtime.engine, [path])
    ingest.import_files(runtime.config, runtime.engine, [path])
    with session_scope(runtime.engine) as session:
        assert len(prices(session, "IGV")) == 5155


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Date,Open\n2024-01-02,1\n", "missing column 'Close'"),
        ("Date,Close\n01-04-1991,5\n", ":2: date '01-04-1991' is unparseable or ambiguous"),
        ("Date,Close\n2024-01-02,abc\n", ":2: close 'abc' is not a number"),
        ("Date,Close\n2024-01-02,-3\n", ":2: close '-3' is not a positive number"),
        ("Date,Close\n2024-01-02,0\n", ":2: close '0' is not a positive number"),
        ("Date,Close\n2024-01-02,3\n2024-01-02,4\n", ":3: duplicate date 2024-01-02"),
        ("Date,Close\n2024-01-02,\n", ":2: missing Close value"),
        ("Foo,Bar,Baz\n1,2,3\n", ":1: unrecognised header"),
        ("", "empty file"),
    ],
)
def test_bad_csv_is_refused_with_line_and_writes_nothing(
    runtime: Runtime, tmp_path: Path, content: str, message: str
) -> None:
    good = tmp_path / "XLP.csv"
    good.write_text("Date,Close\n2024-01-02,70\n")
    bad = tmp_path / "IGV.csv"
    bad.write_text(content)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        ingest.import_files(runtime.config, runtime.engine, [good, bad])
    assert str(bad) in str(info.value)
    with session_scope(runtime.engine) as session:
        assert prices(session, "XLP") == [] and prices(session, "IGV") == []


def test_fred_layouts_accept_dot_blank_and_old_header(runtime: Runtime, tmp_path: Path) -> None:
    old = tmp_path / "RRPONTSYD.csv"
    old.write_text("DATE,RRPONTSYD\n2024-01-02,.\n2024-01-03,\n2024-01-04,0.0\n2024-01-05,512.5\n")
    ingest.import_files(runtime.config, runtime.engine, [old])
    with session_scope(runtime.engine) as session:
        rows = prices(session, "RRPONTSYD")
    assert [(r["date"].isoformat(), r["close"]) for r in rows] == [
        ("2024-01-04", 0.0),
        ("2024-01-05", 512.5),
    ]


def test_yfinance_to_csv_export_imports(runtime: Runtime, tmp_path: Path) -> None:
    export = tmp_path / "GLD.csv"
    export.write_text(
        "Price,Close,High,Low,Open,Volume\nTicker,GLD,GLD,GLD,GLD,GLD\nDate,,,,,\n"
        "2025-01-02 00:00:00-05:00,240.5,241,238,239,1000\n"
    )
    ingest.import_files(runtime.config, runtime.engine, [export])
    with session_scope(runtime.engine) as session:
        (row,) = prices(session, "GLD")
    assert (row["close"], row["open"], row["volume"]) == (240.5, 239.0, 1000.0)


def test_unknown_symbol_names_the_configured_ones(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "NOPE.csv"
    path.write_text("Date,Close\n2024-01-02,1\n")
    with pytest.raises(Exception, match="unknown instrument 'NOPE'"):
        ingest.import_files(runtime.config, runtime.engine, [path])
