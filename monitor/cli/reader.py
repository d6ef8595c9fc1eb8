"""``firealarm db create-reader``: the read-only PostgreSQL role ``firealarm sql`` runs as."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from monitor.cli.state import state
from monitor.errors import ConfigError
from monitor.store.database import without_password
from monitor.store.reader import create_reader

err = Console(stderr=True)


def create_reader_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the role, e.g. firealarm_reader.")],
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", help="Environment variable holding its password."),
    ] = None,
) -> None:
    """Create (or update) a role that can only read firealarm's tables and views (PostgreSQL).

    Run it with an administrator's --db (a superuser, or the tables' owner with CREATEROLE),
    then point firealarm sql at the new role. Running it again re-grants (after an upgrade).

    Example: FIREALARM_READER_PASSWORD=… firealarm db create-reader firealarm_reader
    --password-env FIREALARM_READER_PASSWORD
    """
    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise ConfigError(f"--password-env: environment variable {password_env} is not set")
    runtime = state(ctx).runtime(migrate=False)
    try:
        create_reader(runtime.engine, name, password)
        admin_url = runtime.engine.url.render_as_string(hide_password=False)
        url, _ = without_password(make_url(admin_url).set(username=name).render_as_string())
    finally:
        runtime.close()
    err.print(
        f"role {name} can read firealarm's tables and views; query as it with\n"
        f'  firealarm --db {url} sql "SELECT …"',
        soft_wrap=True,
    )
