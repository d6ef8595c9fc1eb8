"""What an attempt came to, and the one classifier of HTTP statuses every webhook shares.

Senders only send and return a :class:`SendResult`; deciding when to try again is the retry
schedule's job (:mod:`monitor.delivery.backoff`), as in Alertmanager's ``Retrier``/``RetryStage``.

==========  =============================================================
outcome     meaning
==========  =============================================================
sent        the receiver accepted it (2xx, or SMTP accepted)
retry       recoverable: 429, 5xx, timeout, connection error, SMTP 4xx (also every
            recipient refused, if any of the refusals is 4xx)
failed      permanent: any other status (3xx, 4xx), SMTP 5xx, bad config
disabled    410 Gone: the receiver wants no more; the channel is disabled
==========  =============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from monitor.sanitize import printable

Outcome = Literal["sent", "retry", "failed", "disabled"]


@dataclass(frozen=True)
class SendResult:
    """The outcome of one attempt; ``retry_after`` is the receiver's wish in seconds."""

    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    duration_ms: float = 0.0

    def __post_init__(self) -> None:
        # The receiver's words are stored and printed: no terminal escapes from them.
        if self.error is not None:
            object.__setattr__(self, "error", printable(self.error))

    @property
    def ok(self) -> bool:
        return self.outcome == "sent"


def classify_status(status: int) -> Outcome:
    """The outcome an HTTP status means for a webhook delivery."""
    if 200 <= status < 300:
        return "sent"
    if status == 410:
        return "disabled"
    if status == 429 or status >= 500:
        return "retry"
    return "failed"


def classify_smtp(code: int) -> Outcome:
    """SMTP reply codes: 4xx is transient, 5xx permanent."""
    if 200 <= code < 400:
        return "sent"
    return "retry" if 400 <= code < 500 else "failed"


def classify_smtp_refusals(codes: Sequence[int]) -> tuple[Outcome, int]:
    """Every recipient refused with ``codes``: the outcome and the code that decided it.

    Nobody has the message yet, so one temporary refusal makes it worth trying again (the
    recipients refused for good are refused again; the others may take it then).
    """
    outcomes = [(classify_smtp(code), code) for code in codes]
    return next((pair for pair in outcomes if pair[0] == "retry"), outcomes[0])


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds from ``now`` (delta-seconds or HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())
