"""Encoded responses reused while the rows behind them are unchanged, and their ETags.

A signal's history is thousands of rows that change about once a day, yet the dashboard and
scripts read it again and again. A response is stored under the key its route makes of the
validated parameters (so unknown query parameters cannot add entries) together with the
*version* of the data it was built from: one aggregate over the series' rows (count, newest
write, sums of the values; see ``history_version``) that changes with every write, including
one stamped earlier than the newest, which a timestamp alone would miss. A request within
``revalidate_after`` seconds of the last check is answered from memory; a later one reads the
version again and is answered from memory while it still matches. So a write shows in the API
at most ``revalidate_after`` seconds later. Reading the version before the rows means a write
racing the build can only make an entry look older than it is, never serve stale rows as
current. The version also makes the ETag, so a client holding the current body gets ``304 Not
Modified``. The cache is bounded in entries and in bytes, counting each entry's key and a fixed
overhead as well as its body.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.store.database import session_scope

DEFAULT_MAX_BYTES = 64 * 2**20
DEFAULT_MAX_ENTRIES = 1024
# What an entry costs beyond its body and key: the entry, the map slot, headers and ETag.
ENTRY_OVERHEAD = 512
DEFAULT_REVALIDATE_AFTER = 1.0
# Row-heavy builds (a history, prices) that run at once in one process. Thousands of rows are
# turned into Python objects under one GIL: dozens of threads at it only slow each other and
# make the slowest wait longest. Measured with 10 clients on a 20-year history, cache off: 2
# builders answer 1.3x (SQLite) and 1.1x (PostgreSQL) the requests of 40 threads, with 0.4x and
# 0.7x the p99; queued builds start in arrival order.
BUILDERS = 2


@dataclass(frozen=True)
class Encoded:
    """A response body as sent, with the headers that describe it."""

    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...]
    etag: str


@dataclass
class _Entry:
    version: Hashable
    encoded: Encoded
    size: int
    checked_at: float = field(default=0.0)


def entry_size(key: Hashable, encoded: Encoded) -> int:
    """The bytes an entry counts against the bound: body, key and a fixed overhead."""
    return len(encoded.body) + len(repr(key)) + ENTRY_OVERHEAD


class ResponseCache:
    """A least-recently-used map of encoded responses, bounded in entries and bytes; thread-safe.

    ``clock`` (monotonic seconds) is a test seam.
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        revalidate_after: float = DEFAULT_REVALIDATE_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.revalidate_after = revalidate_after
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def recent(self, key: Hashable) -> Encoded | None:
        """The entry for ``key`` if its version was checked less than ``revalidate_after`` ago."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._clock() - entry.checked_at >= self.revalidate_after:
                return None
            self._entries.move_to_end(key)
            return entry.encoded

    def get(self, key: Hashable, version: Hashable) -> Encoded | None:
        """The entry for ``key`` if it was built from data at ``version`` (now checked)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                return None
            entry.checked_at = self._clock()
            self._entries.move_to_end(key)
            return entry.encoded

    def now(self) -> float:
        """The cache's clock: take it before reading a version, and give it to :meth:`put`."""
        return self._clock()

    def put(
        self, key: Hashable, version: Hashable, encoded: Encoded, *, read_at: float | None = None
    ) -> None:
        """Store ``encoded`` for ``key`` at ``version``, evicting the least recently used.

        ``read_at`` is when ``version`` was read: an entry of another version checked after
        that is newer than this one, and stays (a slow build must not put older data back).
        """
        size = entry_size(key, encoded)
        if size > self.max_bytes or self.max_entries < 1:
            return
        with self._lock:
            old = self._entries.get(key)
            if (
                old is not None
                and read_at is not None
                and old.version != version
                and old.checked_at > read_at
            ):
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = _Entry(version, encoded, size, self._clock())
            self._bytes += size
            while self._bytes > self.max_bytes or len(self._entries) > self.max_entries:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    @property
    def size_bytes(self) -> int:
        """Bytes counted against ``max_bytes`` (see ``entry_size``)."""
        return self._bytes

    @property
    def entries(self) -> int:
        """Responses held."""
        return len(self._entries)


def builders(app: FastAPI) -> anyio.CapacityLimiter:
    """The app's limit on row-heavy builds (:data:`BUILDERS`), made on first use (in its loop)."""
    limiter: anyio.CapacityLimiter | None = getattr(app.state, "builders", None)
    if limiter is None:
        limiter = app.state.builders = anyio.CapacityLimiter(BUILDERS)
    return limiter


async def cached_response(
    request: Request,
    cache: ResponseCache,
    key: Hashable,
    version_of: Callable[[Session], Hashable],
    build: Callable[[Session], Response],
    *,
    limiter: anyio.CapacityLimiter | None = None,
) -> Response:
    """``build(session)``'s response, or the stored one while ``version_of(session)`` is unchanged.

    A recently checked entry is answered on the event loop without touching the database; the
    version check and the build run in the thread pool, in one session on the app's engine.
    ``key`` names the response by the route's validated parameters, the format included (JSON
    and CSV of one URL differ by Accept, hence ``Vary: Accept``). A request whose
    ``If-None-Match`` names the current ETag gets 304 with no body. ``limiter`` bounds how
    many such checks and builds run at once (default: the server's thread pool).
    """
    found = cache.recent(key)
    if found is None:
        engine = request.app.state.engine
        checked = await anyio.to_thread.run_sync(
            _check_or_build, engine, cache, key, version_of, build, limiter=limiter
        )
        if isinstance(checked, Response):
            return checked
        found = checked
    headers = {
        **dict(found.headers),
        "ETag": found.etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Accept",
    }
    wanted = _etags(request.headers.get("if-none-match", ""))
    if found.etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


def _check_or_build(
    engine: Engine,
    cache: ResponseCache,
    key: Hashable,
    version_of: Callable[[Session], Hashable],
    build: Callable[[Session], Response],
) -> Encoded | Response:
    read_at = cache.now()
    with session_scope(engine) as session:
        version = version_of(session)  # before the rows: see the module docstring
        found = cache.get(key, version)
        if found is not None:
            return found
        response = build(session)
    if response.status_code != 200:
        return response
    encoded = _encode(response, key, version)
    cache.put(key, version, encoded, read_at=read_at)
    return encoded


def _encode(response: Response, key: Hashable, version: Hashable) -> Encoded:
    digest = hashlib.blake2b(repr((key, version)).encode(), digest_size=12).hexdigest()
    headers = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name not in ("content-length", "content-type")
    )
    return Encoded(bytes(response.body), response.media_type or "", headers, f'"{digest}"')


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
