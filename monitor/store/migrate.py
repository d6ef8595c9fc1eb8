"""Apply the Alembic migrations in ``migrations/`` (packaged as ``monitor.migrations``)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from monitor.errors import StoreError
from monitor.store.database import describe_operational_error


def alembic_config() -> AlembicConfig:
    """An Alembic config pointing at the packaged migrations."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("monitor.migrations")))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision`` (default: the newest)."""
    cfg = alembic_config()
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise StoreError(describe_operational_error(engine, exc)) from exc


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def require_current(engine: Engine) -> None:
    """Raise a clear :class:`StoreError` unless the database is migrated to head."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise StoreError(describe_operational_error(engine, exc)) from exc
    if current != head_revision():
        raise StoreError(
            f"database schema is at {current or 'nothing'}, the code needs {head_revision()}: "
            "run `firealarm db upgrade`"
        )
