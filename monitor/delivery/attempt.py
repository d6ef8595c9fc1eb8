"""One HTTP request sent once and classified: what every HTTP sender shares."""

from __future__ import annotations

import time
from datetime import datetime

import httpx

from monitor.delivery.base import describe_error
from monitor.delivery.outcome import SendResult, classify_status, parse_retry_after


def send_once(client: httpx.Client, request: httpx.Request, now: datetime) -> SendResult:
    """Send ``request``; transport errors retry, statuses go through the shared classifier.

    The URL is masked in errors: Slack/Discord URLs and some receivers' paths are credentials.
    """
    started = time.perf_counter()
    try:
        response = client.send(request)
    except httpx.TransportError as exc:
        error = describe_error(exc, (str(request.url),))
        return SendResult("retry", error=error, duration_ms=elapsed_ms(started))
    outcome = classify_status(response.status_code)
    return SendResult(
        outcome,
        status_code=response.status_code,
        error=None if outcome == "sent" else f"HTTP {response.status_code}",
        retry_after=parse_retry_after(response.headers.get("retry-after"), now),
        duration_ms=elapsed_ms(started),
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000
