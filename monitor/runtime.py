"""What every command needs: the parsed config and an engine on the configured database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from monitor.config import Config, load_config
from monitor.errors import StoreError
from monitor.store.database import create_db_engine, normalize_url
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
    writing = migrate and not read_only
    if not writing:
        require_sqlite_file(config.database.url)
    engine = create_db_engine(config.database.url, read_only=read_only)
    if writing:
        upgrade(engine)
    else:
        require_current(engine)
    return Runtime(config, engine)


def require_sqlite_file(url: str) -> None:
    """Raise a StoreError saying how to create it when a SQLite database file is missing.

    Opening it would create an empty file, and a command that only reads must not do that.
    """
    parsed = make_url(normalize_url(url))
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if parsed.query.get("uri") or Path(path).exists():
        return
    raise StoreError(
        f"no database at {path}: create it with `firealarm init` (or `firealarm db upgrade`), "
        "or load data with `firealarm fetch` or `firealarm import FILE…`"
    )
