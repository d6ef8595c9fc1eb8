"""What every command needs: the parsed config and an engine on the configured database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from monitor.config import Config, load_config
from monitor.store.database import create_db_engine
from monitor.store.migrate import require_current, upgrade


@dataclass(frozen=True)
class Runtime:
    """The config and the database engine, opened once per command or daemon."""

    config: Config
    engine: Engine

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def open_runtime(
    config_path: str | Path | None = None,
    database_url: str | None = None,
    *,
    migrate: bool = True,
    read_only: bool = False,
) -> Runtime:
    """Load config, open the database, and bring its schema to head (or check it is there)."""
    config = load_config(config_path, database_url=database_url)
    engine = create_db_engine(config.database.url, read_only=read_only)
    if migrate and not read_only:
        upgrade(engine)
    else:
        require_current(engine)
    return Runtime(config, engine)
