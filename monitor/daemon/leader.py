"""Who may run the scheduled fetch and evaluate jobs.

- SQLite: one daemon per database file. An exclusive ``flock`` on ``<database>.lock`` is held
  for the daemon's life; the file names the holder (pid, host, start time) so a second daemon
  can say which one is running. The kernel drops the lock when the process dies.
- PostgreSQL: any number of replicas; the one holding a session-level advisory lock on its own
  connection is the leader. Followers retry every few seconds; when the leader dies its
  connection closes, PostgreSQL releases the lock and a follower takes over.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from monitor.errors import AlreadyRunningError, StoreError
from monitor.store.locks import LEADER_LOCK_KEY


def runner_name() -> str:
    """This process as ``host:pid``, recorded in ``job_runs.runner``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership(Protocol):
    """Decides whether this process runs the leader-only jobs."""

    def refresh(self) -> bool:
        """Try to become (or stay) the leader; whether this process leads now."""
        ...

    def release(self) -> None:
        """Give up leadership and its resources."""
        ...


class InstanceLock:
    """The single-daemon lock of a SQLite database; holding it makes this process the leader."""

    def __init__(self, database: Path, now: datetime) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._started = now
        self._file: TextIO | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`AlreadyRunningError` naming the holder."""
        try:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held while running
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _describe_holder(handle.read())
            handle.close()
            raise AlreadyRunningError(
                f"another firealarm daemon is running on this database ({holder}); "
                f"lock file {self.path}"
            ) from None
        handle.seek(0)
        handle.truncate()
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": self._started}
        handle.write(json.dumps(info, default=str))
        handle.flush()
        self._file = handle

    def refresh(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _describe_holder(content: str) -> str:
    try:
        info = json.loads(content)
        return f"pid {info['pid']} on {info['host']}, started {info['started']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


class AdvisoryLeadership:
    """PostgreSQL leader election on a dedicated connection (session-level advisory lock)."""

    def __init__(self, engine: Engine, key: int = LEADER_LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None

    def refresh(self) -> bool:
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
                return self._try_lock()
            # Holding: check the session (and with it the lock) is still alive.
            self._connection.execute(text("SELECT 1")).scalar()
            return True
        except DBAPIError:
            self._drop()
            return False

    def _try_lock(self) -> bool:
        assert self._connection is not None
        sql = text("SELECT pg_try_advisory_lock(:key)")
        held = bool(self._connection.execute(sql, {"key": self._key}).scalar())
        self._connection.commit()
        if not held:
            self._drop()
        return held

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except DBAPIError:
                pass
            self._connection = None

    def release(self) -> None:
        # Closing the session releases a session-level advisory lock.
        self._drop()


def leadership_for(engine: Engine, now: datetime) -> Leadership:
    """The lock that fits the database: an instance lock on SQLite, an advisory lock otherwise."""
    if engine.dialect.name == "sqlite":
        database = make_url(engine.url).database or ""
        if not database or database == ":memory:":
            raise StoreError("the daemon needs a database file, not an in-memory SQLite database")
        lock = InstanceLock(Path(database).resolve(), now)
        lock.acquire()
        return lock
    return AdvisoryLeadership(engine)
