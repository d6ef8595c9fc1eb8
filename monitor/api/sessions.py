"""Dashboard sessions kept by the server, and the rate limit on signing in.

A session cookie holds a random id; the server keeps (a digest of) the ids it issued, so signing
out ends a session for good, even for a copy of the cookie, and a restart of the server ends
them all (as does changing the token, which needs one). Both stores are bounded: an attacker
cannot grow them without limit.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable

SESSION_DAYS = 30
LOGIN_ATTEMPTS = 10  # per client per LOGIN_WINDOW seconds
LOGIN_WINDOW = 60.0
MAX_SESSIONS = 10_000
MAX_CLIENTS = 10_000

Clock = Callable[[], float]


def _digest(session_id: str) -> bytes:
    # Looked up by digest: a dictionary lookup on the id itself could leak it through timing.
    return hashlib.sha256(session_id.encode("utf-8", errors="replace")).digest()


class SessionStore:
    """The live sessions: opened at sign-in, closed at sign-out, expired after ``lifetime``."""

    def __init__(
        self,
        lifetime: float = SESSION_DAYS * 86400,
        limit: int = MAX_SESSIONS,
        clock: Clock = time.time,
    ) -> None:
        self.lifetime, self._limit, self._clock = lifetime, limit, clock
        self._opened: OrderedDict[bytes, float] = OrderedDict()

    def open(self) -> str:
        """A new session's id (the cookie's value); the oldest session goes past the limit."""
        session_id = secrets.token_urlsafe(32)
        self._opened[_digest(session_id)] = self._clock()
        while len(self._opened) > self._limit:
            self._opened.popitem(last=False)
        return session_id

    def valid(self, session_id: str) -> bool:
        """Whether ``session_id`` was opened here, not closed, and is not too old."""
        key = _digest(session_id)
        opened = self._opened.get(key)
        if opened is None:
            return False
        if self._clock() - opened > self.lifetime:
            del self._opened[key]
            return False
        return True

    def close(self, session_id: str) -> None:
        """End ``session_id`` (signing out): the cookie opens nothing from now on."""
        self._opened.pop(_digest(session_id), None)


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
