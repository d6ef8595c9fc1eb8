"""The ``firealarm`` command: a thin shell over the library.

Exit status: 0 success, 1 runtime failure, 2 bad usage or config. Expected failures print one
line on stderr, never a traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli import alerts, daemon, data, delivery, demo, notify, query, status
from monitor.cli import signals as signal_commands
from monitor.cli.state import CliState
from monitor.errors import FirealarmError, ParameterError

app = typer.Typer(
    name="firealarm",
    help="Watch the market ratios of Arthur Hayes's 'This Is Fine' and alert when they trip.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="FIREALARM_CONFIG", help="Config file (TOML)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="FIREALARM_DATABASE_URL",
            help="Database URL (default: sqlite:///firealarm.db).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    ctx.obj = CliState(config, db)


data.register(app)
alerts.register(app)
status.register(app)
delivery.register(app)
notify.register(app)
signal_commands.register(app)
query.register(app)
demo.register(app)
daemon.register(app)


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
        if type(exc).__name__ != "NoArgsIsHelpError":  # else typer has printed the help
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
