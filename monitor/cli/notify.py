"""Commands managing notifications: silence add/list/expire, and ack."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.console import Console

from monitor.cli.options import FormatOption
from monitor.cli.output import Format, emit
from monitor.cli.state import state
from monitor.config import parse_duration
from monitor.errors import ConfigError, ParameterError
from monitor.notify.acks import acknowledge
from monitor.notify.release import release_ended
from monitor.notify.silence_store import (
    SILENCE_COLUMNS,
    add_silence,
    expire_silence,
    list_silences,
)
from monitor.store.database import session_scope

err = Console(stderr=True)
silence_app = typer.Typer(help="Silence alerts: they change state and are recorded, send nothing.")

AuthorOption = Annotated[
    str | None, typer.Option("--author", help="Who (default: the current user).")
]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(silence_app, name="silence")
    app.command("ack")(ack)


@silence_app.command("add")
def silence_add(
    ctx: typer.Context,
    match: Annotated[
        list[str],
        typer.Option("--match", help="Label matcher: name=value, !=, =~ regex, !~ (repeatable)."),
    ],
    comment: Annotated[str, typer.Option("--comment", help="Why.")],
    duration: Annotated[str | None, typer.Option("--for", help="How long, e.g. 7d, 12h.")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="End: YYYY-MM-DD (UTC midnight) or ISO time.")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Silence the alerts matching every --match, from now for --for or until --until.

    Example: firealarm silence add --match rule=btc_vs_ndx --for 7d --comment "known"
    """
    now = datetime.now(UTC)
    ends_at = _end(now, duration, until)
    runtime = state(ctx).runtime()
    try:
        with session_scope(runtime.engine) as session:
            silence_id = add_silence(
                session, match, ends_at=ends_at, comment=comment, author=_author(author), now=now
            )
    finally:
        runtime.close()
    print(silence_id)


@silence_app.command("list")
def silence_list(
    ctx: typer.Context,
    everything: Annotated[bool, typer.Option("--all", help="Expired silences too.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Active silences (with --all, expired ones too).

    Example: firealarm silence list --all --format json
    """
    with state(ctx).reading() as (_, session):
        rows = list_silences(session, datetime.now(UTC), everything=everything)
    emit(rows, SILENCE_COLUMNS, fmt, title="silences")


@silence_app.command("expire")
def silence_expire(
    ctx: typer.Context, silence_id: Annotated[str, typer.Argument(help="The silence's id.")]
) -> None:
    """End a silence now; alerts it held that still fire are notified, once.

    Example: firealarm silence expire sil_0123456789abcdef
    """
    now = datetime.now(UTC)
    runtime = state(ctx).runtime()
    try:
        with session_scope(runtime.engine) as session:
            expire_silence(session, silence_id, now)
            queued = release_ended(session, runtime.config, now, os.environ)
    finally:
        runtime.close()
    err.print(f"expired {silence_id}; {queued} notification(s) queued")


def ack(
    ctx: typer.Context,
    rule: Annotated[str, typer.Argument(help="The rule (alertname) of the firing alert.")],
    comment: Annotated[str, typer.Option("--comment", help="What you are doing about it.")],
    label: Annotated[
        list[str] | None, typer.Option("--label", help="k=v: only alerts with it (repeatable).")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Acknowledge a firing alert: its repeats stop until it resolves or fires again.

    Example: firealarm ack DataStale --label instrument=OWL --comment "Yahoo outage, on it"
    """
    labels = dict(_pair(text) for text in label or [])
    runtime = state(ctx).runtime()
    try:
        with session_scope(runtime.engine) as session:
            acked = acknowledge(
                session,
                rule,
                labels,
                comment=comment,
                author=_author(author),
                now=datetime.now(UTC),
            )
    finally:
        runtime.close()
    err.print(f"acknowledged {len(acked)} firing alert(s) of {rule}")


def _end(now: datetime, duration: str | None, until: str | None) -> datetime:
    if (duration is None) == (until is None):
        raise ConfigError("give exactly one of --for and --until")
    if duration is not None:
        try:
            return now + parse_duration(duration)
        except ValueError as exc:
            raise ParameterError("for", str(exc)) from None
    assert until is not None
    try:
        moment = datetime.fromisoformat(until)
    except ValueError:
        raise ParameterError("until", f"{until!r} is not a date or ISO time") from None
    if len(until) == 10:  # a plain date: midnight UTC starting that day
        moment = datetime.combine(date.fromisoformat(until), datetime.min.time())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ParameterError("label", f"{text!r}: use name=value")
    return name, value


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"
