"""Commands over the outbox: deliver, deliveries, redeliver, notify-test."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from monitor.charts.data import alert_chart_renderer
from monitor.cli.options import FormatOption
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.config import Config, load_config
from monitor.delivery.dispatcher import dispatch_due
from monitor.delivery.environment import channel_environment_problems
from monitor.delivery.replay import RESOLVE_AFTER, notify_test, requeue, requeue_channel
from monitor.errors import ConfigError
from monitor.notify.release import release_due
from monitor.queries.deliveries import DELIVERY_COLUMNS, deliveries, delivery_exists
from monitor.runtime import Runtime
from monitor.store.database import session_scope

err = Console(stderr=True)


class Status(StrEnum):
    """A delivery's status."""

    pending = "pending"
    sent = "sent"
    failed = "failed"
    dead = "dead"
    superseded = "superseded"


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("deliver")(deliver)
    app.command("deliveries")(list_deliveries)
    app.command("redeliver")(redeliver)
    app.command("notify-test")(notify_test_command)


def refuse_unusable_channels(config: Config) -> None:
    """Exit 2 (one line) if a channel's environment variable is missing or malformed."""
    problems = channel_environment_problems(config, os.environ)
    if problems:
        raise ConfigError("; ".join(problems))


def sending_runtime(ctx: typer.Context, *, migrate: bool = True) -> Runtime:
    """The runtime of a command that sends, once its channels are known to be able to work."""
    cli = state(ctx)
    refuse_unusable_channels(load_config(cli.config_path, database_url=cli.database_url))
    return cli.runtime(migrate=migrate)


def deliver(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Most deliveries to send; default all.")
    ] = None,
) -> None:
    """Send the deliveries that are due, once, and print what happened.

    Alerts held by a silence that has ended since and still firing are queued first, as the
    daemon does before each dispatch. Exit 1 if any delivery failed or went dead; retries
    scheduled for a transient error exit 0.
    Example: firealarm deliver --limit 500
    """
    runtime = sending_runtime(ctx)
    try:
        now = datetime.now(UTC)
        release_due(runtime.engine, runtime.config, now, os.environ)
        chart = alert_chart_renderer(runtime.config, runtime.engine)
        report = dispatch_due(runtime, now=now, limit=limit, chart=chart)
    finally:
        runtime.close()
    err.print(report.summary())
    if report.failed:
        raise typer.Exit(1)


def list_deliveries(
    ctx: typer.Context,
    dead: Annotated[bool, typer.Option("--dead", help="Only dead deliveries.")] = False,
    status: Annotated[
        Status | None, typer.Option("--status", help="Only deliveries with this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most rows, newest first.")] = 100,
    fmt: FormatOption = Format.table,
) -> None:
    """The outbox: every delivery's channel, alert, status, attempts and last error.

    Example: firealarm deliveries --dead --format json
    """
    with state(ctx).reading() as (_, session):
        wanted = Status.dead if dead else status
        rows = deliveries(session, status=wanted.value if wanted else None, limit=limit)
    emit(rows, DELIVERY_COLUMNS, fmt, title="dead deliveries" if dead else "deliveries")


def redeliver(
    ctx: typer.Context,
    delivery_id: Annotated[
        str | None, typer.Argument(help="Delivery id (msg_...), see `deliveries`.")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", help="Enable CHANNEL again and replay its failed deliveries."),
    ] = None,
) -> None:
    """Replay a failed or dead delivery now, with the same id (receivers drop duplicates).

    With --channel: enable a channel disabled by its receiver (HTTP 410) and replay all its
    failed deliveries in one step.
    Example: firealarm redeliver msg_3f2a...   or   firealarm redeliver --channel ops
    """
    if (delivery_id is None) == (channel is None):
        raise ConfigError("give a delivery id or --channel NAME, not both")
    runtime = sending_runtime(ctx)
    try:
        now = datetime.now(UTC)
        if channel is not None:
            if channel not in runtime.config.channels:
                raise ConfigError(f"unknown channel {channel!r}")
            ids = requeue_channel(runtime.engine, channel, now)
        else:
            assert delivery_id is not None
            with session_scope(runtime.engine) as session:
                if not delivery_exists(session, delivery_id):
                    raise ConfigError(
                        f"no delivery with id {delivery_id!r} (see `firealarm deliveries`)"
                    )
            requeue(runtime.engine, delivery_id, now)
            ids = [delivery_id]
        chart = alert_chart_renderer(runtime.config, runtime.engine)
        report = dispatch_due(runtime, now=now, ids=ids, chart=chart)
    finally:
        runtime.close()
    if channel is not None:
        err.print(f"channel {channel} enabled; {len(ids)} replayed: {report.summary()}")
        if report.failed:
            raise typer.Exit(1)
        return
    status = report.statuses.get(ids[0], "pending")
    err.print(f"{ids[0]}: {status}")
    if status != "sent":
        raise typer.Exit(1)


def notify_test_command(
    ctx: typer.Context,
    channel: Annotated[str, typer.Argument(help="Channel name from [channels.*] in the config.")],
    resolve_after: Annotated[
        float,
        typer.Option(
            "--resolve-after", min=0, help="Seconds before the test alert's resolve is sent."
        ),
    ] = RESOLVE_AFTER,
) -> None:
    """Send a test alert through CHANNEL's outbox, real sender and signing; exit 1 if it fails.

    Alertmanager-format and PagerDuty receivers also get the test's resolve a few seconds later.
    Example: firealarm notify-test ops
    """
    runtime = sending_runtime(ctx)
    try:
        sent = probe_channel(runtime, channel, resolve_after)
    finally:
        runtime.close()
    if not sent:
        raise typer.Exit(1)


def probe_channel(runtime: Runtime, channel: str, resolve_after: float = RESOLVE_AFTER) -> bool:
    """Send a test alert through ``channel`` as notify-test does, one line per delivery on
    stderr; whether every one was sent."""
    results = notify_test(
        runtime,
        channel,
        clock=lambda: datetime.now(UTC),
        sleep=time.sleep,
        resolve_after=resolve_after,
    )
    for result in results:
        what = "" if result.state == "test" else "resolve "
        code = f" {result.status_code}" if result.status_code is not None else ""
        took = f" in {result.duration_ms:.0f} ms" if result.duration_ms is not None else ""
        line = f"{channel}: {what}{result.status}{code}{took} (id {result.delivery_id})"
        err.print(line if result.ok else f"{line}: {result.error or 'not sent yet'}")
    return all(result.ok for result in results)
