"""A PostgreSQL role that can read firealarm's tables and views and do nothing else.

``firealarm sql`` refuses superusers and the server-access roles (see
:mod:`monitor.queries.sql_postgres`); this makes the role it should run as: it logs in, reads
every table and view of firealarm's schema (and those later migrations add: default privileges
of their owner), and its sessions default to read-only with a statement timeout, in ``psql`` too.
Run it as an administrator (a superuser or the tables' owner with CREATEROLE); it is idempotent,
so running it again after an upgrade re-grants.
"""

from __future__ import annotations

import re
from typing import Any

from psycopg import sql
from sqlalchemy import Engine

from monitor.errors import ConfigError
from monitor.store.database import is_sqlite

# Membership in these lets a role read or write the server's files or run programs there.
SERVER_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
STATEMENT_TIMEOUT = "30s"

_OWNER = """
SELECT tableowner FROM pg_tables
WHERE schemaname = current_schema() AND tablename = 'alembic_version'
"""
_EXISTING = """
SELECT EXISTS (
  SELECT 1 FROM pg_roles r WHERE (r.rolsuper OR r.rolname = ANY(%s))
  AND pg_has_role(%s, r.oid, 'MEMBER'))
FROM pg_roles WHERE rolname = %s
"""


def create_reader(engine: Engine, name: str, password: str | None = None) -> None:
    """Create (or bring up to date) the read-only role ``name`` on ``engine``'s database."""
    if is_sqlite(engine):
        raise ConfigError(
            "db create-reader is for PostgreSQL; on SQLite firealarm sql opens the file read-only"
        )
    if not ROLE_NAME.match(name):
        raise ConfigError(f"role name {name!r}: use lower-case letters, digits and _ (max 63)")
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None  # a checked-out connection has its driver's
        connection.autocommit = True
        _create(connection, name, password)
    finally:
        raw.close()


def _create(connection: Any, name: str, password: str | None) -> None:
    owner = connection.execute(_OWNER).fetchone()
    if owner is None:
        raise ConfigError("the database has no firealarm schema yet: run `firealarm db upgrade`")
    existing = connection.execute(_EXISTING, [list(SERVER_ROLES), name, name]).fetchone()
    if existing is not None and existing[0]:
        raise ConfigError(
            f"role {name!r} exists and can reach the server's files or programs "
            "(superuser or a pg_*_server_* member): choose another name"
        )
    role = sql.Identifier(name)
    verb = sql.SQL("ALTER" if existing is not None else "CREATE")
    secret = sql.SQL(" PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL("")
    with connection.transaction():
        connection.execute(
            sql.SQL(
                "{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS{}"
            ).format(verb, role, secret)
        )
        for statement in _grants(connection, role, sql.Identifier(owner[0])):
            connection.execute(statement)


def _grants(connection: Any, role: sql.Identifier, owner: sql.Identifier) -> list[sql.Composed]:
    database = sql.Identifier(connection.info.dbname)
    schema = sql.Identifier(connection.execute("SELECT current_schema()").fetchone()[0])
    return [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, role),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, role),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
        ).format(owner, schema, role),
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on").format(
            role, database
        ),
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET statement_timeout = {}").format(
            role, database, sql.Literal(STATEMENT_TIMEOUT)
        ),
    ]
