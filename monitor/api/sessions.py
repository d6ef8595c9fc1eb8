"""Dashboard sessions, kept in the database, and the rate limit on signing in.

A session cookie holds a random id; the database keeps a digest of each id issued (table
``dashboard_sessions``), with a digest of the token it was opened with. Every process serving
the API (``--workers``) shares them, so signing out ends a session for good, everywhere, even for
a copy of the cookie; changing the token ends them all; a restart ends none. Sessions last
:data:`SESSION_DAYS`; at most :data:`MAX_SESSIONS` are kept (the oldest go first), so an
attacker cannot grow the table without limit. A session of another token stays until it expires
(another server with its own token may share the database): this one never accepts it.
The sign-in limit is kept by each process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select

from monitor.store.database import transaction
from monitor.store.tables import dashboard_sessions

SESSION_DAYS = 30
LOGIN_ATTEMPTS = 10  # per client per LOGIN_WINDOW seconds (in each process)
LOGIN_WINDOW = 60.0
MAX_SESSIONS = 10_000
MAX_CLIENTS = 10_000

Clock = Callable[[], float]
_sessions = dashboard_sessions.c


def _digest(session_id: str) -> str:
    # Stored and looked up by digest: the table holds nothing that opens a session.
    return hashlib.sha256(session_id.encode("utf-8", errors="replace")).hexdigest()


def token_digest(token: str) -> str:
    """What identifies ``token`` in ``dashboard_sessions`` (an HMAC: not the token's hash)."""
    return hmac.new(token.encode(), b"firealarm dashboard session", hashlib.sha256).hexdigest()


class SessionStore:
    """The live sessions of ``token``: opened at sign-in, closed at sign-out, expired after
    ``lifetime`` seconds. Every method is one short transaction on ``engine`` (writable)."""

    def __init__(
        self,
        engine: Engine,
        token: str,
        lifetime: float = SESSION_DAYS * 86400,
        limit: int = MAX_SESSIONS,
        clock: Clock = time.time,
    ) -> None:
        self.engine, self.lifetime, self._limit, self._clock = engine, lifetime, limit, clock
        self._token = token_digest(token)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def open(self) -> str:
        """A new session's id (the cookie's value). Expired sessions and the oldest past the
        limit are removed."""
        session_id = secrets.token_urlsafe(32)
        now = self._now()
        with transaction(self.engine) as connection:
            connection.execute(
                delete(dashboard_sessions).where(
                    _sessions.opened_at < now - timedelta(seconds=self.lifetime)
                )
            )
            connection.execute(
                insert(dashboard_sessions).values(
                    id_digest=_digest(session_id), token_digest=self._token, opened_at=now
                )
            )
            kept = connection.scalar(select(func.count()).select_from(dashboard_sessions)) or 0
            if kept > self._limit:
                oldest = (
                    select(_sessions.id_digest)
                    .order_by(_sessions.opened_at, _sessions.id_digest)
                    .limit(kept - self._limit)
                )
                connection.execute(
                    delete(dashboard_sessions).where(_sessions.id_digest.in_(oldest))
                )
        return session_id

    def valid(self, session_id: str) -> bool:
        """Whether ``session_id`` was opened with this token, not closed, and is not too old."""
        with transaction(self.engine) as connection:
            opened = connection.scalar(
                select(_sessions.opened_at).where(
                    _sessions.id_digest == _digest(session_id),
                    _sessions.token_digest == self._token,
                )
            )
        return opened is not None and (self._now() - opened).total_seconds() <= self.lifetime

    def close(self, session_id: str) -> None:
        """End ``session_id`` (signing out): the cookie opens nothing from now on, anywhere."""
        with transaction(self.engine) as connection:
            connection.execute(
                delete(dashboard_sessions).where(_sessions.id_digest == _digest(session_id))
            )


class LoginLimiter:
    """At most ``attempts`` sign-in attempts per client in any ``window`` seconds."""

    def __init__(
        self,
        attempts: int = LOGIN_ATTEMPTS,
        window: float = LOGIN_WINDOW,
        clock: Clock = time.monotonic,
    ) -> None:
        self.attempts, self.window, self._clock = attempts, window, clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str) -> float | None:
        """Seconds ``client`` must wait before trying again, or None (and the try is counted)."""
        now = self._clock()
        times = self._seen.pop(client, None) or deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        self._seen[client] = times  # most recently seen last: the least recent goes first
        while len(self._seen) > MAX_CLIENTS:
            self._seen.popitem(last=False)
        if len(times) >= self.attempts:
            return self.window - (now - times[0])
        times.append(now)
        return None
