"""CSV parsing: the column-at-once path and the row-by-row path read the same values and errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from monitor.errors import DataError
from monitor.sources.csvfile import CsvFile, read_csv_file

CLEAN = "Date,Open,Close,Volume\n2024-01-02,1.5,2.25,100\n2024-01-03,1.75,2.5,\n"


def test_irregular_rows_read_as_the_clean_file_does(tmp_path: Path) -> None:
    clean, padded = tmp_path / "clean.csv", tmp_path / "padded.csv"
    clean.write_text(CLEAN)
    # Blank lines, padded cells and a time suffix send these chunks row by row.
    padded.write_text(
        "Date,Open,Close,Volume\n\n2024-01-02, 1.5 ,2.25,100\n,,,\n2024-01-03T00:00:00,1.75,2.5, \n"
    )
    pd.testing.assert_frame_equal(read_csv_file(padded).frame, read_csv_file(clean).frame)


def test_quoted_fields_read_as_plain_ones(tmp_path: Path) -> None:
    clean, quoted = tmp_path / "clean.csv", tmp_path / "quoted.csv"
    clean.write_text(CLEAN)
    quoted.write_text(
        'Date,Open,Close,Volume\n"2024-01-02","1.5",2.25,100\n2024-01-03,1.75,"2.5",""\n'
    )
    pd.testing.assert_frame_equal(read_csv_file(quoted).frame, read_csv_file(clean).frame)


def test_small_chunks_give_the_same_frame(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    days = pd.bdate_range("2020-01-01", periods=25).strftime("%Y-%m-%d")
    path.write_text("Date,Close\n" + "".join(f"{d},{n + 1}.5\n" for n, d in enumerate(days)))
    with CsvFile(path) as file:
        chunked = pd.concat(list(file.chunks(rows=4)), ignore_index=True)
    pd.testing.assert_frame_equal(chunked, read_csv_file(path).frame)
    assert chunked["close"].tolist() == [n + 1.5 for n in range(25)]


def test_a_duplicate_in_another_chunk_names_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-04,3\n2024-01-02,4\n")
    with (
        CsvFile(path) as file,
        pytest.raises(DataError, match=r":5: duplicate date 2024-01-02 \(first at line 2\)"),
    ):
        list(file.chunks(rows=2))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2024-01-02,nan,2,1", ":2: open 'nan' is not a positive number"),
        ("2024-01-02,1,inf,1", ":2: close 'inf' is not a positive number"),
        ("2024-02-30,1,2,1", ":2: date '2024-02-30' is unparseable or ambiguous"),
        ("0000-01-01,1,2,1", ":2: date '0000-01-01' is unparseable or ambiguous"),
        ("2024-01-02,1,2", ":2: expected 4 fields, found 3"),
    ],
)
def test_values_the_fast_path_would_take_are_refused(
    tmp_path: Path, row: str, message: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_text(f"Date,Open,Close,Volume\n{row}\n")
    with pytest.raises(DataError, match=message):
        read_csv_file(path)
