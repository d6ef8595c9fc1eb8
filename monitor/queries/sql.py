"""Users' own SQL over a read-only connection: the database refuses writes (no keyword filter).

Every run is bounded: a time limit (``timeout``), and a limit on the rows and bytes it returns,
so ``SELECT randomblob(1000000000)`` or ``SELECT pg_sleep(60)`` end with one line instead of
eating the machine. A statement that returns no rows (``SET``, ``DO``, ``COPY``) is refused: it
cannot be a question. How each database is kept read-only is in :mod:`monitor.queries.sql_sqlite`
and :mod:`monitor.queries.sql_postgres`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from monitor.errors import QueryError, QueryLimitError, StoreError
from monitor.store.database import create_db_engine, describe_operational_error, is_sqlite

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 200_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
NO_ROWS = "refused: the statement returns no rows; firealarm sql answers questions (SELECT …)"


@dataclass(frozen=True)
class SqlLimits:
    """How long a statement may run and how much it may return."""

    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class SqlResult:
    """What a query returned: column names and rows (as dicts, in column order)."""

    columns: list[str]
    rows: list[dict[str, Any]]


def run_sql(database_url: str, statement: str, limits: SqlLimits = SqlLimits()) -> SqlResult:
    """Run one statement over a fresh read-only connection to ``database_url``.

    Raises :class:`QueryError` for a write attempt, invalid SQL, a statement without rows or an
    unsafe PostgreSQL role; :class:`QueryLimitError` past a limit; :class:`StoreError` when the
    database cannot be reached.
    """
    engine = create_db_engine(database_url, read_only=True)
    try:
        return _execute(engine, statement, limits)
    finally:
        engine.dispose()


def _execute(engine: Engine, statement: str, limits: SqlLimits) -> SqlResult:
    from monitor.queries import sql_postgres, sql_sqlite

    try:
        connection = engine.raw_connection()
    except OperationalError as exc:
        raise StoreError(describe_operational_error(engine, exc)) from exc
    try:
        driver = connection.driver_connection
        assert driver is not None  # a checked-out connection has its driver's
        if is_sqlite(engine):
            return sql_sqlite.run(driver, statement, limits)
        return sql_postgres.run(driver, statement, limits)
    finally:
        # Closed rather than rolled back into the pool: it is never reused, and a statement
        # may have ended the session (a rollback on it would raise past the one-line error).
        connection.invalidate()


def collect(columns: Sequence[str], rows: Iterable[Sequence[Any]], limits: SqlLimits) -> SqlResult:
    """The rows as dicts, refused with :class:`QueryLimitError` past ``limits``' rows or bytes."""
    names = list(columns)
    kept: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        size += sum(_size(value) for value in row)
        if len(kept) >= limits.max_rows:
            raise QueryLimitError(
                f"sql: more than {limits.max_rows:,} rows; add a LIMIT (or raise --max-rows)"
            )
        if size > limits.max_bytes:
            raise QueryLimitError(too_large(limits))
        kept.append(dict(zip(names, row, strict=True)))
    return SqlResult(names, kept)


def too_large(limits: SqlLimits) -> str:
    """The message for a result past the byte limit."""
    return f"sql: the result is larger than {limits.max_bytes:,} bytes (raise --max-bytes)"


def timed_out(limits: SqlLimits) -> str:
    """The message for a statement stopped by the time limit."""
    return f"sql: stopped after {limits.timeout:g} s (the --timeout); nothing was changed"


def refusal(text: str) -> QueryError:
    """A database's refusal of a write as one line."""
    return QueryError(f"refused: firealarm sql is read-only ({text})")


def invalid(text: str) -> QueryError:
    """A database's error for an invalid statement as one line."""
    return QueryError(f"sql: {text}")


def first_line(text: str, fallback: str) -> str:
    """The first non-blank line of a driver's message (they add context lines and carets)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else fallback


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | bytearray | memoryview):
        return len(value)
    return 8
