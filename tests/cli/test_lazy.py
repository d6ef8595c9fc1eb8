"""A fast CLI: commands load lazily, light ones never import the daemon's or the API's stack."""

from __future__ import annotations

import importlib.metadata
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer.main

import monitor
import monitor.cli
from monitor.cli import COMMANDS, module_app, run
from monitor.store.database import create_db_engine
from monitor.store.migrate import upgrade

HEAVY = ("fastapi", "apscheduler", "matplotlib", "uvicorn", "prometheus_client", "alembic")
# Runs the CLI like the console script, then prints which of HEAVY (and the light stacks) loaded.
PROBE = """
import json, runpy, sys
sys.argv = ["firealarm", *sys.argv[1:]]
try:
    runpy.run_module("monitor", run_name="__main__")
except SystemExit as exc:
    code = exc.code
watched = {names!r}
print(json.dumps({{"code": code, "loaded": [m for m in watched if m in sys.modules]}}))
"""


def _imports(*argv: str, names: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules of ``names`` that ``firealarm *argv`` imported, in a fresh interpreter."""
    probe = PROBE.format(names=names)
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return result["loaded"]


@pytest.fixture
def migrated(sqlite_url: str) -> str:
    engine = create_db_engine(sqlite_url)
    upgrade(engine)
    engine.dispose()
    return sqlite_url


@pytest.mark.parametrize(
    "command",
    [["signals"], ["history", "btc_vs_ndx"], ["status"], ["prices", "BTC-USD"], ["sources"]],
)
def test_light_commands_import_no_api_scheduler_or_charts(migrated: str, command) -> None:
    assert _imports("--db", migrated, *command) == []


@pytest.mark.parametrize("command", [["signals"], ["history", "btc_vs_ndx"]])
def test_reading_signals_loads_neither_the_orm_nor_numpy(migrated: str, command) -> None:
    """The commands users run most read with SQLAlchemy Core alone: the ORM is a sixth of
    their start."""
    assert _imports("--db", migrated, *command, names=("sqlalchemy.orm", "numpy", "pandas")) == []


def test_help_and_version_import_neither_the_database_nor_the_config_stack() -> None:
    light = ("sqlalchemy", "pydantic", "rich", "pandas", *HEAVY)
    assert _imports("--help", names=light) == []
    assert _imports("--version", names=light) == []


def test_the_listed_help_is_each_commands_own() -> None:
    for name, (module, text) in COMMANDS.items():
        command = typer.main.get_group(module_app(module)).commands[name]
        assert " ".join((command.help or "").split("\n\n")[0].split()) == text, name


def test_every_command_a_module_registers_is_listed() -> None:
    folder = Path(monitor.cli.__file__).parent
    registered: dict[str, str] = {}
    for info in pkgutil.iter_modules([str(folder)]):
        module = __import__(f"monitor.cli.{info.name}", fromlist=["register"])
        if hasattr(module, "register"):
            for name in typer.main.get_group(module_app(info.name)).commands:
                registered[name] = info.name
    assert registered == {name: module for name, (module, _) in COMMANDS.items()}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert capsys.readouterr().out == f"firealarm {monitor.__version__}\n"
    assert importlib.metadata.version("firealarm") == monitor.__version__


def test_shell_completion_is_offered(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    assert "--install-completion" in capsys.readouterr().out
    done = subprocess.run(  # as a shell runs it: completion reads the process's own state
        [sys.executable, "-m", "monitor", "--show-completion", "bash"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "_FIREALARM_COMPLETE=complete_bash" in done.stdout


def test_no_flag_shows_a_bool_placeholder() -> None:
    group = typer.main.get_group(monitor.cli.app)
    for name in COMMANDS:
        command = group.get_command(click.Context(group), name)
        commands = command.commands.values() if isinstance(command, click.Group) else [command]
        for each in commands:
            text = each.get_help(click.Context(each, info_name=name))
            assert "<bool>" not in text, name
            assert "--help" in text
