"""Apply the Alembic migrations in ``migrations/`` (packaged as ``monitor.migrations``).

Checking that a database is current is done without Alembic: commands that only read run that
check on every start, and importing Alembic would cost them more than their own work. The
database's revision is one row of ``alembic_version``; the code's head is read from the
revision files' own ``revision``/``down_revision`` assignments (tests hold it equal to
Alembic's).
"""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError

from monitor.errors import StoreError
from monitor.store.database import describe_operational_error

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig


def alembic_config() -> AlembicConfig:
    """An Alembic config pointing at the packaged migrations."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("monitor.migrations")))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision`` (default: the newest)."""
    from alembic import command

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
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str:
    """The newest revision the code knows: the one no other revision names as its parent."""
    revisions, parents = set(), set()
    folder = Path(str(resources.files("monitor.migrations").joinpath("versions")))
    for path in folder.glob("*.py"):
        assigned = _assignments(path)
        if "revision" in assigned:
            revisions.add(assigned["revision"])
            parents.add(assigned.get("down_revision"))
    (head,) = revisions - parents  # one head: the migrations are a single line
    return str(head)


def _assignments(path: Path) -> dict[str, object]:
    """The module-level ``name = constant`` (or annotated) assignments of a Python file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(value, ast.Constant):
            found[target.id] = value.value
    return found


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
