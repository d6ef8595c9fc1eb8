"""The global options, shared by every command through typer's context."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from monitor.runtime import Runtime, open_runtime


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


def state(ctx: typer.Context) -> CliState:
    """The :class:`CliState` of the running command."""
    root = ctx.find_root()
    assert isinstance(root.obj, CliState)
    return root.obj
