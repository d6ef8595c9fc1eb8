"""``firealarm sql`` on PostgreSQL: only as a role that can read and nothing more.

A read-only transaction does not stop a superuser: ``COPY … TO PROGRAM`` runs shell commands as
the server's user (which can then write anything), and ``pg_read_file`` reads the server's files.
So the session's role is checked first, and refused if it is a superuser, could become one, or
is a member of ``pg_read_server_files``, ``pg_write_server_files`` or
``pg_execute_server_program`` (``firealarm db create-reader`` makes a role that passes).

Then, in one ``READ ONLY`` transaction with ``statement_timeout``, the statement is parsed and
described as an unnamed prepared statement before anything runs: one statement is all it can be,
and one that returns no rows (``SET``, ``DO``, ``COPY``) is refused without running. The rows are
streamed, so the row and byte limits stop a large result before it is all in memory.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import pq

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
)
from monitor.store.reader import SERVER_ROLES

_READ_ONLY_SQLSTATE = "25006"
_PRIVILEGE_SQLSTATE = "42501"
# Roles the session's role is, or may become: superusers and the server-access roles.
_UNSAFE_ROLES = """
SELECT rolname, rolsuper FROM pg_roles
WHERE (rolsuper OR rolname = ANY(%s)) AND pg_has_role(current_user, oid, 'MEMBER')
ORDER BY rolname
"""
# libpq 17 streams in chunks; before it, one row at a time (slower, as bounded).
_CHUNK = 500 if pq.version() >= 170000 else 1


def run(connection: psycopg.Connection[Any], statement: str, limits: SqlLimits) -> SqlResult:
    """Run ``statement`` on ``connection`` within ``limits``; see the module docstring."""
    connection.read_only = True  # the transaction below begins READ ONLY
    check_role(connection)
    connection.execute(
        "SELECT set_config('statement_timeout', %s, true)", [f"{int(limits.timeout * 1000)}ms"]
    )
    columns = _describe(connection, statement)
    cursor = connection.cursor()
    try:
        return collect(columns, cursor.stream(statement, size=_CHUNK), limits)
    except psycopg.Error as exc:
        raise _translate(exc, limits) from exc


def check_role(connection: psycopg.Connection[Any]) -> None:
    """Refuse a role that can reach the server's files or programs (see the module docstring)."""
    unsafe = connection.execute(_UNSAFE_ROLES, [list(SERVER_ROLES)]).fetchall()
    if not unsafe:
        return
    user = connection.info.user
    names = ", ".join(name for name, _ in unsafe)
    what = "a superuser" if any(sup for _, sup in unsafe) else f"a member of {names}"
    raise QueryError(
        f"refused: the database role {user!r} is {what}, which can reach the server's files and "
        "programs; run firealarm sql as a read-only role (firealarm db create-reader NAME)"
    )


def _describe(connection: psycopg.Connection[Any], statement: str) -> list[str]:
    """The statement's column names, from parsing it: nothing runs yet."""
    pgconn = connection.pgconn
    encoding = connection.info.encoding
    prepared = pgconn.prepare(b"", statement.encode(encoding))
    _raise_for(prepared, encoding)
    described = pgconn.describe_prepared(b"")
    _raise_for(described, encoding)
    if described.nfields == 0:
        raise QueryError(NO_ROWS)
    return [(described.fname(i) or b"?column?").decode(encoding) for i in range(described.nfields)]


def _raise_for(result: pq.abc.PGresult, encoding: str) -> None:
    if result.status == pq.ExecStatus.COMMAND_OK:
        return
    message = result.error_message.decode(encoding, errors="replace")
    sqlstate = (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
    raise _classify(first_line(message, "invalid statement").removeprefix("ERROR:  "), sqlstate)


def _translate(exc: psycopg.Error, limits: SqlLimits) -> Exception:
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return QueryLimitError(timed_out(limits))
    return _classify(first_line(str(exc), type(exc).__name__), exc.sqlstate or "")


def _classify(text: str, sqlstate: str) -> QueryError:
    if sqlstate in (_READ_ONLY_SQLSTATE, _PRIVILEGE_SQLSTATE):
        return refusal(text)
    return invalid(text)
