"""Users' own SQL over a read-only connection: the database refuses writes (no keyword filter).

SQLite: the file is opened ``mode=ro`` with ``PRAGMA query_only``, and an authorizer allows only
reading (no ATTACH, no ``VACUUM INTO``, no pragma that changes anything), because those write other
files even on a read-only connection. PostgreSQL: the session is ``default_transaction_read_only``
and the statement is sent as a prepared statement, so one statement is all it can be (a second
one could otherwise switch the session back to read-write).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from monitor.errors import QueryError, StoreError
from monitor.store.database import create_db_engine, describe_operational_error, is_sqlite

# Pragmas that only describe the schema; every other pragma is refused.
READ_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "database_list",
        "collation_list",
        "function_list",
        "pragma_list",
        "compile_options",
    }
)
_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_PG_READ_ONLY_SQLSTATE = "25006"
_REFUSALS = ("readonly database", "not authorized", "authorization denied")


@dataclass(frozen=True)
class SqlResult:
    """What a query returned: column names and rows (as dicts, in column order)."""

    columns: list[str]
    rows: list[dict[str, Any]]


def _sqlite_authorizer(action: int, arg1: str | None, *_: object) -> int:
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 in READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run_sql(database_url: str, statement: str) -> SqlResult:
    """Run one statement over a fresh read-only connection to ``database_url``.

    Raises :class:`QueryError` for a write attempt or invalid SQL, :class:`StoreError` when the
    database cannot be reached.
    """
    engine = create_db_engine(database_url, read_only=True)
    try:
        return _execute(engine, statement)
    finally:
        engine.dispose()


def _execute(engine: Engine, statement: str) -> SqlResult:
    try:
        connection = engine.raw_connection()
    except OperationalError as exc:
        raise StoreError(describe_operational_error(engine, exc)) from exc
    try:
        cursor = _cursor(engine, connection.driver_connection)
        try:
            if is_sqlite(engine):
                cursor.execute(statement)
            else:
                cursor.execute(statement, prepare=True)
        except Exception as exc:  # the driver's own error types differ per backend
            raise QueryError(_describe(exc)) from exc
        columns = [d[0] for d in cursor.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return SqlResult(columns, rows)
    finally:
        connection.rollback()
        connection.close()


def _cursor(engine: Engine, driver_connection: Any) -> Any:
    if is_sqlite(engine):
        driver_connection.set_authorizer(_sqlite_authorizer)
    return driver_connection.cursor()


def _describe(exc: Exception) -> str:
    detail = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip().splitlines()
    text = detail[0] if detail else type(exc).__name__
    sqlstate = getattr(exc, "sqlstate", None)
    refused = sqlstate == _PG_READ_ONLY_SQLSTATE or any(marker in text for marker in _REFUSALS)
    if refused:
        return f"refused: firealarm sql is read-only ({text})"
    return f"sql: {text}"
