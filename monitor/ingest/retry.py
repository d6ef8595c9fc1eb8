"""One retry policy for every network call to a data source."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from monitor.errors import NameResolutionError, RateLimitedError, TransientSourceError

T = TypeVar("T")
log = logging.getLogger(__name__)


def with_retries(
    call: Callable[[], T],
    *,
    retries: int,
    backoff: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call``, retrying :class:`TransientSourceError` with exponential backoff.

    A :class:`RateLimitedError` waits at least its ``retry_after``; a
    :class:`NameResolutionError` is retried once at most. The last error is re-raised.
    """
    for attempt in range(retries + 1):
        try:
            return call()
        except TransientSourceError as exc:
            limit = min(retries, 1) if isinstance(exc, NameResolutionError) else retries
            if attempt >= limit:
                raise
            delay = backoff * 2**attempt
            if isinstance(exc, RateLimitedError) and exc.retry_after:
                delay = max(delay, exc.retry_after)
            log.warning("retrying %s in %.1fs after: %s", what, delay, exc)
            sleep(delay)
    raise AssertionError("unreachable")
