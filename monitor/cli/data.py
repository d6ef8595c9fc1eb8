"""Commands that set up the database and bring data in: init, db, fetch, import, prices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from monitor.cli.files import write_output
from monitor.cli.options import FormatOption, SinceOption
from monitor.cli.output import Format, emit
from monitor.cli.reader import create_reader_command
from monitor.cli.state import state
from monitor.config import default_config_text, load_config, with_database_url
from monitor.config.discovery import choose_config
from monitor.errors import ConfigError
from monitor.ingest import fetch as ingest
from monitor.queries.prices import PRICE_COLUMNS, prices
from monitor.sources import build_sources
from monitor.store.database import create_db_engine, redact_url, without_password
from monitor.store.migrate import upgrade

err = Console(stderr=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("init")(init)
    app.add_typer(db_app, name="db")
    db_app.command("create-reader")(create_reader_command)
    app.command("fetch", context_settings={"allow_extra_args": True})(fetch)
    app.command("import")(import_files)
    app.command("prices")(list_prices)


def init(
    ctx: typer.Context,
    path: Annotated[Path, typer.Option("--path", help="Where to write the config.")] = Path(
        "firealarm.toml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the commented default config and create the database.

    Example: firealarm init --path ./firealarm.toml
    """
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists (use --force to overwrite)")
    url = state(ctx).database_url
    text = default_config_text()
    if url:  # what --db (or FIREALARM_DATABASE_URL) chose, so the file opens the same database
        text = with_database_url(text, _without_password(url, path))
    write_output(path, text)
    config = load_config(path, database_url=url)
    engine = create_db_engine(config.database.url)
    upgrade(engine)
    engine.dispose()
    err.print(f"wrote {path.absolute()}", soft_wrap=True)
    err.print(f"database ready at {redact_url(config.database.url)}", soft_wrap=True)
    err.print(will_it_be_read(path), soft_wrap=True)


def will_it_be_read(path: Path) -> str:
    """Whether commands run here without --config read ``path``, and if not, how to make them."""
    chosen = choose_config(None)
    if chosen.path is not None and chosen.path.resolve() == path.resolve():
        return f"firealarm commands run here read it ({chosen.found_by})"
    instead = f"they read {chosen.describe()}" if chosen.path else "they use the packaged defaults"
    return (
        f"commands run here without --config do not read it ({instead}): "
        f"use --config {path} or FIREALARM_CONFIG={path}"
    )


def _without_password(url: str, path: Path) -> str:
    """The URL to write into the config: a password stays in the environment, never the file."""
    stripped, had_password = without_password(url)
    if had_password:
        err.print(
            f"note: the database password is not written to {path}; keep the URL in "
            "FIREALARM_DATABASE_URL (or the password in ~/.pgpass)",
            soft_wrap=True,
        )
    return stripped


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the Alembic migrations (the daemon also does this on start).

    Example: FIREALARM_DATABASE_URL=postgresql+psycopg://u@host/db firealarm db upgrade
    """
    runtime = state(ctx).runtime(migrate=True)
    err.print(f"database at {redact_url(runtime.config.database.url)} is up to date")
    runtime.close()


def fetch(
    ctx: typer.Context,
    since: SinceOption = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="SYM…",
            help="Fetch only these symbols: --only WALCL WTREGEN (or repeat --only).",
        ),
    ] = None,
) -> None:
    """Fetch new observations from every source (a backfill on an empty database).

    Example: firealarm fetch --since 2024-01-01 --only BTC-USD IGV
    """
    symbols = _only(ctx, only)
    config = load_config(state(ctx).config_path, database_url=state(ctx).database_url)
    for symbol in symbols:
        config.instrument(symbol)  # a typo is refused before any database is opened or made
    runtime = state(ctx).runtime()
    total = len(symbols or runtime.config.instruments)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("fetching", total=total)

        def on_source(source: str, symbols: list[str]) -> None:
            progress.update(task, description=f"{source}: {', '.join(symbols)}")

        reports = ingest.fetch(
            runtime.config,
            runtime.engine,
            build_sources(runtime.config),
            since=since,
            only=symbols,
            on_source=on_source,
        )
        progress.update(task, completed=total)
    for report in reports:
        line = f"{report.source}: {report.status}, {report.rows} rows"
        if report.rejected:
            line += f", {report.rejected} rejected"
        if report.rescaled:
            line += f", history of {', '.join(report.rescaled)} rescaled upstream and re-read"
        err.print(line + (f" ({report.error})" if report.error else ""))
    runtime.close()
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(1)


def _only(ctx: typer.Context, only: list[str] | None) -> list[str]:
    """The symbols of ``--only A B``: click takes A as the option's value and B as an extra."""
    if ctx.args and not only:
        raise ConfigError(f"unexpected argument {ctx.args[0]!r}: symbols go after --only")
    return [*(only or []), *ctx.args]


def import_files(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="FILE",
            help="CSV files (Yahoo or FRED layout).",
        ),
    ],
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Symbol for a single file (default: stem).")
    ] = None,
) -> None:
    """Load CSV files; a file with any bad row is refused whole, naming the line.

    Example: firealarm import data/yahoo/*.csv data/fred/*.csv
    """
    runtime = state(ctx).runtime()
    try:
        reports = ingest.import_files(runtime.config, runtime.engine, files, symbol=symbol)
    finally:
        runtime.close()
    for report in reports:
        skipped = f" ({report.unfinished} bars not closed yet skipped)" if report.unfinished else ""
        err.print(f"{report.path}: {report.rows} rows as {report.symbol}{skipped}")


def list_prices(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="Instrument symbol, e.g. BTC-USD.")],
    since: SinceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Stored observations of one instrument.

    Example: firealarm prices BTC-USD --since 2025-01-01 --format csv
    """
    with state(ctx).reading() as (config, session):
        config.instrument(symbol)
        rows = prices(session, symbol, since)
    emit(rows, PRICE_COLUMNS, fmt, title=symbol)
