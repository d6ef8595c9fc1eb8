"""``firealarm sql`` on SQLite: read-only by the connection, bounded by SQLite's own limits.

The file is opened ``mode=ro`` with ``PRAGMA query_only``, and an authorizer allows only reading
(no ATTACH, no ``VACUUM INTO``, no pragma that changes anything), because those write other files
even on a read-only connection. A progress handler interrupts a statement past its time limit;
``SQLITE_LIMIT_LENGTH`` makes SQLite itself refuse to build a value larger than the byte limit
(``randomblob(1000000000)`` is one function call no progress handler can interrupt).
"""

from __future__ import annotations

import sqlite3
import time

from monitor.errors import QueryError, QueryLimitError
from monitor.queries.sql import (
    NO_ROWS,
    SqlLimits,
    SqlResult,
    collect,
    first_line,
    invalid,
    refusal,
    timed_out,
    too_large,
)

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
_REFUSALS = ("readonly database", "not authorized", "authorization denied")
_PROGRESS_STEPS = 10_000  # virtual-machine instructions between two looks at the clock
_FETCH = 500


def authorizer(action: int, arg1: str | None, *_: object) -> int:
    """Allow reading only (see the module docstring)."""
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 in READ_PRAGMAS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run(connection: sqlite3.Connection, statement: str, limits: SqlLimits) -> SqlResult:
    """Run ``statement`` on ``connection`` within ``limits``."""
    deadline = time.monotonic() + limits.timeout
    connection.set_authorizer(authorizer)
    connection.set_progress_handler(lambda: time.monotonic() > deadline, _PROGRESS_STEPS)
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(limits.max_bytes, 1))
    cursor = connection.cursor()
    try:
        cursor.execute(statement)
        if cursor.description is None:
            raise QueryError(NO_ROWS)
        columns = [d[0] for d in cursor.description]
        return collect(columns, _rows(cursor), limits)
    except (sqlite3.Error, OverflowError) as exc:
        raise _translate(exc, limits, time.monotonic() > deadline) from exc


def _rows(cursor: sqlite3.Cursor):  # type: ignore[no-untyped-def]
    while batch := cursor.fetchmany(_FETCH):
        yield from batch


def _translate(exc: Exception, limits: SqlLimits, late: bool) -> Exception:
    text = first_line(str(exc), type(exc).__name__)
    if late and "interrupted" in text:
        return QueryLimitError(timed_out(limits))
    if "too big" in text:
        return QueryLimitError(too_large(limits))
    if any(marker in text for marker in _REFUSALS):
        return refusal(text)
    return invalid(text)
