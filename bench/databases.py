"""Throwaway PostgreSQL databases for the benches (the local test server), migrated to head."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.runtime import open_runtime

POSTGRES = os.environ.get(
    "FIREALARM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_database(config: Path | None = None) -> Iterator[str | None]:
    """The URL of a new, migrated database dropped on exit; None when no server answers."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no server: the PostgreSQL figures are skipped
        admin.dispose()
        yield None
        return
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    try:
        open_runtime(config, url).close()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
