"""Config discovery: which file a command reads without --config, and what init says about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import run
from monitor.config import load_config
from monitor.config.discovery import SYSTEM_CONFIG, choose_config, user_config_path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, with no config in the user's or FIREALARM_* variables."""
    for name in ("FIREALARM_CONFIG", "FIREALARM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _config(path: Path, port: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[server]\nport = {port}\n")
    return path


def test_the_search_order_is_cwd_then_user_then_etc_then_the_defaults(here: Path) -> None:
    assert not SYSTEM_CONFIG.exists()  # this machine's /etc does not take part
    assert choose_config(None).path is None
    assert load_config().found_by == "<packaged defaults> (no config file found)"
    user = _config(user_config_path(), 9001)
    assert (choose_config(None).path, load_config().server.port) == (user, 9001)
    assert load_config().found_by == f"{user} (found in the user's config directory)"
    _config(here / "firealarm.toml", 9002)
    assert choose_config(None).path == Path("firealarm.toml")
    assert load_config().server.port == 9002


def test_the_user_directory_defaults_to_dot_config_in_home() -> None:
    environ = {"HOME": "/home/ada"}
    assert user_config_path(environ) == Path("/home/ada/.config/firealarm/firealarm.toml")
    environ["XDG_CONFIG_HOME"] = "/xdg"
    assert user_config_path(environ) == Path("/xdg/firealarm/firealarm.toml")


def test_config_and_environment_win_over_discovery(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(here / "firealarm.toml", 9002)
    named = _config(here / "named.toml", 9003)
    assert load_config(named).server.port == 9003
    assert load_config(named).found_by == f"{named} (given with --config)"
    monkeypatch.setenv("FIREALARM_CONFIG", "named.toml")
    assert load_config().found_by == "named.toml (given with FIREALARM_CONFIG)"


def test_a_relative_sqlite_path_is_beside_the_config_file(here: Path) -> None:
    config = here / "deploy" / "firealarm.toml"
    config.parent.mkdir()
    config.write_text('[database]\nurl = "sqlite:///data/alarm.db"\n')
    expected = f"sqlite:///{here / 'deploy' / 'data' / 'alarm.db'}"
    assert load_config(config).database.url == expected
    assert load_config(config, database_url="sqlite:///x.db").database.url == "sqlite:///x.db"
    config.write_text('[database]\nurl = "sqlite:////abs/alarm.db"\n')
    assert load_config(config).database.url == "sqlite:////abs/alarm.db"


def test_init_then_status_reads_the_file_init_wrote(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["init"]) == 0
    err = capsys.readouterr().err
    assert f"wrote {here / 'firealarm.toml'}" in err
    assert "firealarm commands run here read it (found in the current directory)" in err
    text = (here / "firealarm.toml").read_text().replace("port = 8787", "port = 8899")
    (here / "firealarm.toml").write_text(text)
    assert run(["status", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["config"] == "firealarm.toml (found in the current directory)"
    assert run(["status"]) == 0
    assert "config: firealarm.toml (found in the current directory)" in capsys.readouterr().out
    assert load_config().server.port == 8899


def test_init_elsewhere_creates_the_database_beside_it_and_says_how_to_use_it(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "etc").mkdir()
    assert run(["init", "--path", "etc/alarm.toml"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert (here / "etc" / "firealarm.db").exists() and not (here / "firealarm.db").exists()
    assert "do not read it (they use the packaged defaults)" in err
    assert "use --config etc/alarm.toml or FIREALARM_CONFIG=etc/alarm.toml" in err
