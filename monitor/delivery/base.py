"""The contract every channel's sender fulfils: send one message, say how it went."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from monitor.delivery.message import AlertMessage
from monitor.delivery.outcome import SendResult
from monitor.sanitize import printable

log = logging.getLogger(__name__)
# The alert's chart as PNG bytes (None when there is none to draw, e.g. for a test).
ChartRenderer = Callable[[AlertMessage], bytes | None]


class Sender(Protocol):
    """Sends one message once; never retries and never raises for a failed send."""

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """Try once; ``delivery_id`` is the webhook-id / Message-ID, stable across retries."""
        ...


def describe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """One line naming the failure, with any secret value masked (they never leave memory)."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return printable(text)[:500]


def chart_or_none(chart: ChartRenderer, message: AlertMessage) -> bytes | None:
    """The chart, or None if drawing it fails: a chart is a nicety, the alert goes out without."""
    try:
        return chart(message)
    except Exception as exc:
        log.warning("no chart for %s: %s", message.signal, describe_error(exc))
        return None
