"""One retry policy for every network call to a data source.

Delays double from ``backoff`` and carry up to half again as much random jitter, so clients
throttled together do not all come back at the same moment. A rate limit is retried at most
``rate_limit_retries`` times: then the provider is given up for the rest of the fetch run
(:class:`Pacing` remembers it), and an instrument with a provider chain moves on to the next.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from monitor.errors import NameResolutionError, RateLimitedError, TransientSourceError

T = TypeVar("T")
log = logging.getLogger(__name__)

JITTER = 0.5  # a delay is stretched by up to this fraction, at random


def with_retries(
    call: Callable[[], T],
    *,
    retries: int,
    backoff: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    rate_limit_retries: int | None = None,
    jitter: Callable[[], float] = random.random,
) -> T:
    """Run ``call``, retrying :class:`TransientSourceError` with exponential backoff and jitter.

    A :class:`RateLimitedError` waits at least its ``retry_after`` and is retried at most
    ``rate_limit_retries`` times (None: like any transient error); a
    :class:`NameResolutionError` is retried once at most. The last error is re-raised.
    ``jitter`` returns a number in [0, 1).
    """
    limited = 0
    for attempt in range(retries + 1):
        try:
            return call()
        except TransientSourceError as exc:
            limit = min(retries, 1) if isinstance(exc, NameResolutionError) else retries
            if isinstance(exc, RateLimitedError):
                limited += 1
                if rate_limit_retries is not None and limited > rate_limit_retries:
                    raise
            if attempt >= limit:
                raise
            delay = backoff * 2**attempt
            if isinstance(exc, RateLimitedError) and exc.retry_after:
                delay = max(delay, exc.retry_after)
            delay *= 1 + JITTER * jitter()
            log.warning("retrying %s in %.1fs after: %s", what, delay, exc)
            sleep(delay)
    raise AssertionError("unreachable")


@dataclass
class Pacing:
    """How one fetch run retries its providers, and which ones rate-limited it (``limited``):
    those are not asked again in the same run."""

    retries: int
    backoff: float
    rate_limit_retries: int
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    limited: set[str] = field(default_factory=set)

    def call(self, provider: str, call: Callable[[], T]) -> T:
        """``call`` to ``provider`` with retries; a rate limit given up on is remembered."""
        if provider in self.limited:
            raise RateLimitedError(f"{provider}: rate limited earlier in this run, not asked again")
        try:
            return with_retries(
                call,
                retries=self.retries,
                backoff=self.backoff,
                what=f"{provider} fetch",
                sleep=self.sleep,
                rate_limit_retries=self.rate_limit_retries,
                jitter=self.jitter,
            )
        except RateLimitedError:
            self.limited.add(provider)
            raise
