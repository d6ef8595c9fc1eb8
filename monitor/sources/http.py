"""One GET for every httpx-based source, with the vendor's failures translated.

Timeouts, connection errors and 5xx are :class:`~monitor.errors.TransientSourceError`; a host
name that does not resolve is a :class:`~monitor.errors.NameResolutionError`; 429 is a
:class:`~monitor.errors.RateLimitedError` carrying ``Retry-After``; any other 4xx is a plain
:class:`~monitor.errors.SourceError` (retrying will not help). Messages name the source and the
series, never the URL (a keyed source's URL or headers may hold its key).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Self

import httpx

from monitor.errors import (
    NameResolutionError,
    RateLimitedError,
    SourceError,
    TransientSourceError,
)
from monitor.sources.base import is_name_resolution_failure


def get(client: httpx.Client, url: str, params: Mapping[str, str], what: str) -> httpx.Response:
    """``client.get(url, params=params)``, a 2xx response or a SourceError naming ``what``."""
    try:
        response = client.get(url, params=dict(params))
    except httpx.TimeoutException as exc:
        raise TransientSourceError(f"{what}: timed out") from exc
    except httpx.TransportError as exc:
        message = f"{what}: {exc.__class__.__name__}: {exc}"
        if is_name_resolution_failure(exc):
            raise NameResolutionError(message) from exc
        raise TransientSourceError(message) from exc
    if response.status_code == 429:
        raise RateLimitedError(f"{what}: rate limited (429)", retry_after=retry_after(response))
    if response.status_code >= 500:
        raise TransientSourceError(f"{what}: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise SourceError(f"{what}: HTTP {response.status_code}: {response.text[:200].strip()}")
    return response


def get_json(client: httpx.Client, url: str, params: Mapping[str, str], what: str) -> Any:
    """:func:`get`'s body parsed as JSON; a body that is not JSON is a SourceError."""
    response = get(client, url, params, what)
    try:
        return response.json()
    except ValueError as exc:
        raise SourceError(f"{what}: response is not JSON") from exc


def retry_after(response: httpx.Response) -> float | None:
    """The response's ``Retry-After`` in seconds, when it gives a number."""
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def new_client(timeout: float, headers: Mapping[str, str] | None = None) -> httpx.Client:
    """A real client for a source: its timeout, redirects followed, firealarm's User-Agent."""
    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        headers={"User-Agent": "firealarm", **(headers or {})},
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KeylessSource:
    """An adapter over a public HTTP API that needs no key: its client, and the clock (UTC) of
    the adapters that fetch up to today (tests pass their own of each)."""

    def __init__(self, client: httpx.Client, now: Callable[[], datetime] = _utc_now) -> None:
        self._client = client
        self._now = now

    @classmethod
    def from_environment(cls, timeout: float = 30.0) -> Self:
        """The adapter with a real client (there is no key to read)."""
        return cls(new_client(timeout))
