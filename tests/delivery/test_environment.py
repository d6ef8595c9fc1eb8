"""A channel that cannot work is refused before anything is sent or the daemon starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import run
from monitor.config import parse_config
from monitor.delivery.environment import channel_environment_problems
from tests.delivery.conftest import SECRET

CONFIG = """
[channels.ops]
type = "webhook"
url = "http://127.0.0.1:9/hook"
secret_env = "FIREALARM_OPS_SECRET"

[channels.chat]
type = "webhook"
url_env = "FIREALARM_CHAT_URL"
format = "slack"

[channels.mail]
type = "email"
smtp_host = "127.0.0.1"
username_env = "FIREALARM_SMTP_USER"
password_env = "FIREALARM_SMTP_PASSWORD"
from = "a@example.com"
to = ["b@example.com"]

[channels.pager]
type = "pagerduty"
routing_key_env = "FIREALARM_PD_KEY"

[channels.phone]
type = "apprise"
urls_env = "FIREALARM_APPRISE_URLS"
"""
GOOD = {
    "FIREALARM_PD_KEY": "R0UT1NGKEY",
    "FIREALARM_APPRISE_URLS": "ntfy://localhost/alerts",
    "FIREALARM_OPS_SECRET": SECRET,
    "FIREALARM_CHAT_URL": "https://hooks.slack.com/services/T0/B0/x",
    "FIREALARM_SMTP_USER": "bot",
    "FIREALARM_SMTP_PASSWORD": "pw",
}


def test_a_sound_environment_has_no_problems():
    assert channel_environment_problems(parse_config(CONFIG), GOOD) == []


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        (
            "FIREALARM_OPS_SECRET",
            None,
            "channel ops: environment variable FIREALARM_OPS_SECRET is not set",
        ),
        (
            "FIREALARM_OPS_SECRET",
            "hunter2",
            "channel ops: environment variable FIREALARM_OPS_SECRET is not a whsec_<base64> secret",
        ),
        (
            "FIREALARM_OPS_SECRET",
            "whsec_not base64!",
            "channel ops: environment variable FIREALARM_OPS_SECRET is not a whsec_<base64> secret",
        ),
        (
            "FIREALARM_CHAT_URL",
            "hooks.slack.com/x",
            "channel chat: environment variable FIREALARM_CHAT_URL is not an http(s) URL",
        ),
        (
            "FIREALARM_SMTP_PASSWORD",
            None,
            "channel mail: environment variable FIREALARM_SMTP_PASSWORD is not set",
        ),
    ],
)
def test_each_problem_is_one_line_naming_channel_and_variable(variable, value, problem):
    environ = (
        {**GOOD, variable: value}
        if value is not None
        else {k: v for k, v in GOOD.items() if k != variable}
    )

    problems = channel_environment_problems(parse_config(CONFIG), environ)

    assert problems == [problem]
    assert all(value is None or value not in p for p in problems)  # values are never shown


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "firealarm.toml"
    path.write_text(CONFIG + "\n[server]\nport = 0\n")
    return path


@pytest.mark.parametrize(
    "command", [["deliver"], ["notify-test", "ops"], ["redeliver", "--channel", "ops"]]
)
def test_sending_commands_refuse_a_missing_secret(
    config_file, sqlite_url, monkeypatch, capsys, command
):
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FIREALARM_OPS_SECRET")

    assert run(["--config", str(config_file), "--db", sqlite_url, *command]) == 2

    err = capsys.readouterr().err.strip()
    assert err == "error: channel ops: environment variable FIREALARM_OPS_SECRET is not set"


@pytest.mark.slow
def test_the_daemon_refuses_to_start_without_a_secret(config_file, sqlite_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREALARM_")}
    env.update({k: v for k, v in GOOD.items() if k != "FIREALARM_OPS_SECRET"})
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config_file), "--db", sqlite_url, "run"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: channel ops: environment variable FIREALARM_OPS_SECRET is not set"
    ]
