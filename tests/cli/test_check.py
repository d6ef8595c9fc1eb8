"""``firealarm check``: what a config holds, or every problem in it, before it is deployed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import run
from tests.delivery.conftest import SECRET, SECRET_ENV
from tests.delivery.receiver import Receiver, Reply


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _no_config_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FIREALARM_CONFIG", "FIREALARM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


def _webhook(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "hook.toml"
    config.write_text(
        f'[alerts]\ndefault_channels = ["hook"]\n\n[channels.hook]\ntype = "webhook"\n'
        f'url = "{url}"\nsecret_env = "{SECRET_ENV}"\n'
    )
    return config


def test_the_packaged_default_passes_and_says_what_it_holds(capsys) -> None:
    code, out, err = _cli(capsys, "check")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "config: <packaged defaults> (no config file found)",
        "database: sqlite:///firealarm.db",
        "instruments: 16 (yahoo 11, fred 4, treasury 1)",
        "signals: 12, and fire_alarm_stage (5 stages)",
        "rules: 11, and DataStale on 14 instruments",
        "channels: none (alerts are stored, not sent)",
        "schedule: yahoo '30 16 * * mon-fri', fred '0 18 * * *' (America/New_York); "
        "btc '5 0 * * *' (UTC)",
    ]
    assert not Path("firealarm.db").exists()  # checking touches no database


def test_every_problem_is_one_line_and_the_exit_status_is_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nport = "x"\ncolour = 1\n')
    code, out, err = _cli(capsys, "--config", str(bad), "check")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"error: {bad}: server.port: Input should be a valid integer, unable to parse string "
        "as an integer",
        f"error: {bad}: server.colour: unknown key",
    ]


def test_a_cron_expression_the_scheduler_refuses_fails_the_check(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[schedule]\nfred = "0 25 * * *"\n')
    code, out, err = _cli(capsys, "--config", str(bad), "check")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {bad}: schedule.fred: bad cron expression '0 25 * * *': ")
    assert len(err.splitlines()) == 1


def test_a_channel_secret_missing_from_the_environment_fails_the_check(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    code, out, err = _cli(capsys, "--config", str(_webhook(tmp_path, "http://x")), "check")
    assert (code, out) == (2, "")
    assert SECRET_ENV in err and len(err.splitlines()) == 1


def test_channels_sends_a_test_through_each_channel(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    receiver = Receiver(secret=SECRET)
    try:
        args = ["--config", str(_webhook(tmp_path, receiver.url)), "--db", sqlite_url]
        code, out, err = _cli(capsys, *args, "check", "--channels")
        assert code == 0 and out.startswith("config: ") and "hook: sent 200 in " in err
        assert json.loads(receiver.requests[0].body)["type"] == "alert.test"
        assert receiver.requests[0].signature_ok is True
        receiver.script.append(Reply(500))
        code, _, err = _cli(capsys, *args, "check", "--channels")
        assert code == 1 and "hook: " in err and "500" in err, err
    finally:
        receiver.close()
