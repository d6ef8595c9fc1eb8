"""``firealarm silence`` and ``firealarm ack``: bad input is exit 2, one line, nothing stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, func, select

from monitor.cli import run
from monitor.store.models import Acknowledgement, Silence


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored(url: str, table: type) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return count


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--match", "rule", "--for", "1d"], "error: bad matcher 'rule': use name=value"),
        (["--match", "rule=~[", "--for", "1d"], "error: bad regex in matcher 'rule=~['"),
        (["--match", "rule=x", "--until", "2001-01-01"], "which is not after now"),
        (["--match", "rule=x", "--for", "1d", "--until", "2099-01-01"], "exactly one of"),
        (["--match", "rule=x", "--for", "soon"], "error: --for: not a duration"),
        (["--match", "rule=x", "--until", "someday"], "is not a date or ISO time"),
    ],
)
def test_bad_silences_exit_2_with_one_line_and_store_nothing(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli(capsys, "--db", sqlite_url, "db", "upgrade")[0] == 0
    code, out, err = cli(capsys, "--db", sqlite_url, "silence", "add", *argv, "--comment", "c")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert stored(sqlite_url, Silence) == 0


def test_an_author_too_long_for_its_column_exits_2_on_postgresql_too(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "--db", db_url, "db", "upgrade")[0] == 0
    argv = ["silence", "add", "--match", "rule=x", "--for", "1h", "--comment", "c"]
    code, out, err = cli(capsys, "--db", db_url, *argv, "--author", "a" * 129)
    assert code == 2 and out == ""
    assert err == "error: the author is 129 characters long; at most 128 fit\n"
    assert stored(db_url, Silence) == 0
    assert cli(capsys, "--db", db_url, *argv, "--author", "a" * 128)[0] == 0


def test_silence_add_list_expire(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", sqlite_url]
    code, out, _ = cli(
        capsys, *db, "silence", "add", "--match", "rule=btc_vs_ndx", "--match",
        "instrument=~^NDX", "--for", "7d", "--comment", "known", "--author", "ann",
    )  # fmt: skip
    assert code == 0
    silence_id = out.strip()
    code, out, _ = cli(capsys, *db, "silence", "list", "--format", "json")
    [row] = json.loads(out)
    assert (row["id"], row["matchers"], row["state"]) == (
        silence_id,
        "rule=btc_vs_ndx, instrument=~^NDX",
        "active",
    )
    assert cli(capsys, *db, "silence", "expire", silence_id)[0] == 0
    assert json.loads(cli(capsys, *db, "silence", "list", "--format", "json")[1]) == []
    [row] = json.loads(cli(capsys, *db, "silence", "list", "--all", "--format", "json")[1])
    assert row["state"] == "expired"
    code, _, err = cli(capsys, *db, "silence", "expire", silence_id)
    assert code == 2 and "already ended" in err
    code, _, err = cli(capsys, *db, "silence", "expire", "sil_nope")
    assert (code, err) == (2, "error: no silence with id 'sil_nope'\n")


def test_ack_of_an_alert_not_firing_is_refused(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys, "--db", sqlite_url, "ack", "btc_vs_ndx", "--label", "a=b", "--comment", "seen"
    )
    assert (code, out) == (2, "")
    assert err == "error: no firing alert of rule 'btc_vs_ndx' a=b to acknowledge\n"
    assert stored(sqlite_url, Acknowledgement) == 0
