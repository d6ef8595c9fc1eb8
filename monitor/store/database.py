"""Engines for SQLite (the embedded default) and PostgreSQL.

SQLite gets WAL mode, foreign keys and a busy timeout on every connection, so the daemon, the CLI
and a user's ``sqlite3`` shell can share one file. ``postgresql://`` URLs are routed to psycopg 3.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from monitor.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_POOL_SIZE = 20  # connections kept (SQLAlchemy's default is 5)
KEPT_IDLE_SECONDS = 30.0  # a KeptConnection unused this long goes back to the pool


def normalize_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs to the psycopg 3 driver; validate the URL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database url {redact_url(url)!r} is not a valid URL") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"database url: unsupported backend {parsed.get_backend_name()!r}")
    if parsed.get_backend_name() == "postgresql":
        _check_options(parsed.query)
    return parsed.render_as_string(hide_password=False)


def _check_options(query: Mapping[str, object]) -> None:
    """Refuse a query parameter libpq does not know (psycopg would fail at the first connection,
    with a traceback); the message names the parameter, never its value (it may be a secret)."""
    from psycopg import pq  # only for PostgreSQL URLs

    known = {option.keyword.decode() for option in pq.Conninfo.get_defaults()}
    unknown = sorted(key for key in query if key not in known and key != "plugin")
    if unknown:
        raise ConfigError(
            f"database url: {', '.join(map(repr, unknown))} is not a PostgreSQL connection "
            "option (libpq's are lower case, e.g. password, sslmode)"
        )


_MASK = "***"


def _is_secret(key: str) -> bool:
    # libpq takes ``password`` (and ``sslpassword``, ``oauth_client_secret``, the SCRAM keys)
    # in the query string as well as userinfo.
    lowered = key.lower()
    return lowered.endswith(("password", "secret")) or lowered.startswith("scram_")


def redact_url(url: str) -> str:
    """The URL with every password (userinfo or ``?password=``) masked, for messages and logs."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparseable url>"
    query = {k: (_MASK if _is_secret(k) else v) for k, v in parsed.query.items()}
    rendered = parsed.set(query=query).render_as_string(hide_password=True)
    return rendered.replace(quote(_MASK, safe=""), "***")  # the query string is URL-quoted


def without_password(url: str) -> tuple[str, bool]:
    """``url`` less every password, and whether it had one (what ``init`` writes to a file)."""
    parsed = make_url(normalize_url(url))
    query = {k: v for k, v in parsed.query.items() if not _is_secret(k)}
    if parsed.password is None and query == dict(parsed.query):
        return url, False
    stripped = parsed._replace(password=None).set(query=query)  # URL is a NamedTuple
    return stripped.render_as_string(hide_password=False), True


def mask_passwords(text: str, url: str) -> str:
    """``text`` (a driver's message about ``url``) with the URL's passwords masked in it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return text
    secrets = [str(parsed.password or "")]
    secrets += [str(v) for k, v in parsed.query.items() if _is_secret(k)]
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text


def create_db_engine(
    url: str, *, read_only: bool = False, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> Engine:
    """An engine for ``url``; ``read_only`` opens a connection that refuses writes.

    ``busy_timeout_ms`` is how long a SQLite writer waits for another writer's lock.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, read_only=read_only, busy_timeout_ms=busy_timeout_ms)
    options = "-c default_transaction_read_only=on" if read_only else None
    connect_args = {"connect_timeout": 10, **({"options": options} if options else {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_engine(url: str, *, read_only: bool, busy_timeout_ms: int) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    if read_only and database and database != ":memory:":
        if not Path(database).exists():
            # mode=ro cannot create it; say so rather than "unable to open database file".
            raise StoreError(f"no database at {database}: run `firealarm db upgrade` first")
        parsed = parsed.set(database=f"file:{database}?mode=ro", query={"uri": "true"})
    # Enough pooled connections for the API's concurrent readers: past the pool, SQLAlchemy
    # opens and closes a connection per request, each starting with a cold page cache.
    engine = create_engine(
        parsed,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=SQLITE_POOL_SIZE,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL is atomic and survives a killed process; only a power loss can
            # undo the last commits (whole transactions). FULL costs an fsync per commit
            # (~8 ms here), which caps anything recording as it goes (each delivery attempt).
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            cursor.execute("PRAGMA query_only=ON")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return engine


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error.

    Database-level failures (unreachable, locked) become :class:`StoreError`.
    """
    from sqlalchemy.orm import sessionmaker  # here: the light read commands load no ORM

    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        with factory.begin() as session:
            yield session
    except OperationalError as exc:
        raise StoreError(describe_operational_error(engine, exc)) from exc


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction (SQLAlchemy Core: no ORM session to build), committed on
    success, rolled back on error; any driver error (unreachable, locked, read-only, permission
    denied) is a :class:`StoreError`."""
    try:
        with engine.begin() as connection:
            yield connection
    except DBAPIError as exc:
        raise StoreError(describe_operational_error(engine, exc)) from exc


class KeptConnection:
    """One connection kept for a series of short transactions (a busy writer's): no pool
    checkout, reset or PostgreSQL pre-ping per transaction. Opened on first use, again after
    any database error, and after ``idle`` seconds unused (through the pool, whose pre-ping
    finds a connection a server or proxy closed meanwhile); one thread at a time (the
    caller's lock)."""

    def __init__(self, engine: Engine, idle: float = KEPT_IDLE_SECONDS) -> None:
        self.engine = engine
        self.idle = idle
        self._connection: Connection | None = None
        self._used_at = 0.0

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """The connection in one transaction, committed on success, rolled back on error; any
        driver error (the server went away, the file is locked) is a :class:`StoreError`."""
        if time.monotonic() - self._used_at > self.idle:
            self.close()
        try:
            if self._connection is None:
                self._connection = self.engine.connect()
            with self._connection.begin():
                yield self._connection
            self._used_at = time.monotonic()
        except DBAPIError as exc:
            self.close()  # it may be broken: the next transaction opens a fresh one
            raise StoreError(describe_operational_error(self.engine, exc)) from exc

    def close(self) -> None:
        """Give the connection back (the next transaction opens another)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(DBAPIError):  # already broken: the pool discards it
                connection.close()


def describe_operational_error(engine: Engine, exc: DBAPIError) -> str:
    """One line saying what went wrong with the database, without credentials."""
    url = engine.url.render_as_string(hide_password=False)
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return f"database {redact_url(url)}: {mask_passwords(detail, url)}"
