"""The ``firealarm`` command: a thin shell over the library.

Exit status: 0 success, 1 runtime failure, 2 bad usage or config. Expected failures print one
line on stderr, never a traceback.

Commands are loaded lazily: ``firealarm --help`` lists :data:`COMMANDS` without importing any
command module, and ``firealarm signals`` imports only :mod:`monitor.cli.signals` (and what it
needs), so a light command never pays for FastAPI, APScheduler or matplotlib.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from monitor.errors import FirealarmError, ParameterError
from monitor.version import __version__

# name -> (module in monitor.cli that registers it, the first paragraph of its help). The help is
# here so `firealarm --help` imports nothing; tests/cli/test_lazy.py keeps it equal to the
# command's own.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("data", "Write the commented default config and create the database."),
    "check": ("check", "Check the config: parse it, its rules and channels; exit 2 on a problem."),
    "db": ("data", "Database maintenance."),
    "fetch": (
        "data",
        "Fetch new observations from every source (a backfill on an empty database).",
    ),
    "import": (
        "data",
        "Load CSV files; a file with any bad row is refused whole, naming the line.",
    ),
    "prices": ("data", "Stored observations of one instrument."),
    "sources": (
        "sources",
        "Each instrument's provider chain: last success and failure, refusals, newest value's.",
    ),
    "evaluate": (
        "evaluate",
        "Compute every signal from the stored observations, then evaluate the alert rules.",
    ),
    "signals": (
        "signals",
        "The latest value of each signal and the most severe state of its rules.",
    ),
    "history": ("signals", "Stored values of one signal, oldest first."),
    "alerts": ("alerts", "Open alerts (pending or firing), or with --all every stored transition."),
    "backtest": (
        "alerts",
        "Replay the rules over stored signal history from an empty state; store and send nothing.",
    ),
    "status": (
        "status",
        "One screen: the config read, fetches, signals, open alerts, deliveries and daemon jobs.",
    ),
    "scenario": (
        "signals",
        "The essay's credit-loss model: consumer and mortgage losses and the bank write-down.",
    ),
    "chart": (
        "query",
        "Draw a signal with its thresholds and firing periods (and its inputs) as a PNG.",
    ),
    "sql": (
        "query",
        "Run one read-only SQL statement; writes are refused by the database (exit 2).",
    ),
    "deliver": ("delivery", "Send the deliveries that are due, once, and print what happened."),
    "deliveries": (
        "delivery",
        "The outbox: every delivery's channel, alert, status, attempts and last error.",
    ),
    "redeliver": (
        "delivery",
        "Replay a failed or dead delivery now, with the same id (receivers drop duplicates).",
    ),
    "notify-test": (
        "delivery",
        "Send a test alert through CHANNEL's outbox, real sender and signing; exit 1 if it fails.",
    ),
    "run": (
        "daemon",
        "Run the daemon: fetch on schedule, evaluate, deliver; serve /healthz and /metrics.",
    ),
    "serve": ("query", "Serve the read API and the dashboard (no scheduler, no fetching)."),
    "demo": (
        "demo",
        "Offline demo: the bundled real history, evaluated, backtested and on the dashboard.",
    ),
    "silence": ("notify", "Silence alerts: they change state and are recorded, send nothing."),
    "ack": (
        "notify",
        "Acknowledge a firing alert: its repeats stop until it resolves or fires again.",
    ),
}

# Plain click help: rich's help rendering alone costs more than importing typer.
APP_SETTINGS: dict[str, Any] = {
    "rich_markup_mode": None,
    "pretty_exceptions_enable": False,
}


def module_app(module: str) -> typer.Typer:
    """A Typer holding the commands that ``monitor.cli.<module>`` registers."""
    commands = typer.Typer(**APP_SETTINGS)
    importlib.import_module(f"monitor.cli.{module}").register(commands)
    return commands


class LazyGroup(TyperGroup):
    """The root group: commands come from :data:`COMMANDS`, imported when one is used."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str):  # type: ignore[no-untyped-def,override]
        if cmd_name not in COMMANDS:
            return None
        group = typer.main.get_group(module_app(COMMANDS[cmd_name][0]))
        return group.get_command(ctx, cmd_name)

    def format_commands(self, ctx: typer.Context, formatter) -> None:  # type: ignore[no-untyped-def,override]
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _short(text, limit)) for name, (_, text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _short(text: str, limit: int) -> str:
    """``text`` cut at a word to ``limit`` characters, as click shortens help."""
    if len(text) <= limit:
        return text
    return text[: limit - 3].rsplit(" ", 1)[0] + "..."


app = typer.Typer(
    name="firealarm",
    help="Watch the market ratios of Arthur Hayes's 'This Is Fine' and alert when they trip.",
    no_args_is_help=True,
    cls=LazyGroup,
    **APP_SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        print(f"firealarm {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="FIREALARM_CONFIG",
            metavar="FILE",
            help="Config file (TOML). Default: ./firealarm.toml, "
            "$XDG_CONFIG_HOME/firealarm/firealarm.toml, /etc/firealarm/firealarm.toml, "
            "else the packaged defaults.",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="FIREALARM_DATABASE_URL",
            metavar="URL",
            help="Database URL (default: [database].url of the config, sqlite:///firealarm.db).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    import logging  # both only once a command runs: not for --help or --version

    from monitor.cli.state import CliState

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    ctx.obj = CliState(config, db)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit status.

    Usage errors typer finds (exit 2) and domain errors both become one line on stderr.
    """
    try:
        status = app(args=argv, prog_name="firealarm", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except FirealarmError as exc:
        print(f"error: {error_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except typer.TyperException as exc:  # typer's usage errors: bad option, missing argument...
        if type(exc).__name__ == "NoArgsIsHelpError":  # its message is the help
            print(exc.format_message())
        else:
            print(f"error: {usage_line(exc)}", file=sys.stderr)
        return exc.exit_code
    return status if isinstance(status, int) else 0


def error_line(exc: FirealarmError) -> str:
    """A library error as the CLI says it: a bad parameter named by its option (``--as-of``)."""
    if isinstance(exc, ParameterError):
        return f"--{exc.parameter.replace('_', '-')}: {exc}"
    return str(exc)


def usage_line(exc: typer.TyperException) -> str:
    """Typer's message for a usage error as one line, pointing at the command's --help."""
    message = exc.format_message().replace("Value error, ", "")  # pydantic's prefix: noise
    message = "; ".join(line.strip() for line in message.splitlines() if line.strip())
    message = message.rstrip(".")
    ctx = getattr(exc, "ctx", None)
    return message + (f" (see '{ctx.command_path} --help')" if ctx is not None else "")


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
