"""The global options, shared by every command through typer's context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from sqlalchemy import Connection

from monitor.config import Config
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import session_scope, transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class CliState:
    """``--config`` and ``--db`` as given; the runtime is opened on first use."""

    config_path: Path | None
    database_url: str | None

    def runtime(self, *, migrate: bool = True, read_only: bool = False) -> Runtime:
        """Config and database for a command; writing commands migrate the schema first."""
        return open_runtime(
            self.config_path, self.database_url, migrate=migrate, read_only=read_only
        )

    @contextmanager
    def reading(self, *, read_only: bool = False) -> Iterator[tuple[Config, Session]]:
        """Config and one session on a database already at the current schema; closed after."""
        with self._opened(read_only) as runtime, session_scope(runtime.engine) as session:
            yield runtime.config, session

    @contextmanager
    def connected(self, *, read_only: bool = False) -> Iterator[tuple[Config, Connection]]:
        """Like :meth:`reading`, with a Core connection: for commands that start fast because
        they load no ORM (``signals``, ``history``)."""
        with self._opened(read_only) as runtime, transaction(runtime.engine) as connection:
            yield runtime.config, connection

    @contextmanager
    def _opened(self, read_only: bool) -> Iterator[Runtime]:
        runtime = self.runtime(migrate=False, read_only=read_only)
        try:
            yield runtime
        finally:
            runtime.close()


def state(ctx: typer.Context) -> CliState:
    """The :class:`CliState` of the running command."""
    root = ctx.find_root()
    assert isinstance(root.obj, CliState)
    return root.obj
