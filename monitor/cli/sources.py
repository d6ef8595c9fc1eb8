"""``firealarm sources``: each instrument's provider chain and how every provider last fared."""

from __future__ import annotations

import typer

from monitor.cli.options import FormatOption
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.queries.providers import PROVIDER_COLUMNS, provider_chains


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("sources")(list_sources)


def list_sources(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Each instrument's provider chain: last success and failure, refusals, newest value's.

    One row per provider of each instrument, in chain order (position 1 is the primary):
    when it last served and last failed, why it was last refused as a fallback, the scale
    fitted to the stored series, and, on the row of the provider that served it, the date of
    the newest stored value.

    Example: firealarm sources --format json
    """
    with state(ctx).reading() as (config, session):
        rows = provider_chains(session, config)
    emit(rows, PROVIDER_COLUMNS, fmt, title="providers")
