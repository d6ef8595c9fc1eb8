"""A read-only PostgreSQL role per test, made by ``firealarm db create-reader``, dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from monitor.runtime import Runtime
from monitor.store.reader import create_reader


def drop_role(admin_url: str, name: str) -> None:
    """Drop ``name`` and what it was granted in the database of ``admin_url``."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP OWNED BY "{name}"'))
        connection.execute(text(f'DROP ROLE "{name}"'))
    admin.dispose()


def reader_role(engine: Engine) -> Iterator[str]:
    """A reader role (unique name) on ``engine``'s database; yields a URL that logs in as it."""
    name = f"fa_reader_{uuid.uuid4().hex[:10]}"
    create_reader(engine, name)
    admin_url = engine.url.render_as_string(hide_password=False)
    try:
        yield make_url(admin_url).set(username=name, password=None).render_as_string()
    finally:
        drop_role(admin_url, name)


@pytest.fixture
def sql_url(runtime: Runtime) -> Iterator[str]:
    """The URL ``firealarm sql`` is meant to use: the file on SQLite, a reader on PostgreSQL."""
    if runtime.engine.dialect.name == "sqlite":
        yield runtime.config.database.url
    else:
        yield from reader_role(runtime.engine)
