"""The webhook sender: one signed HTTP POST with httpx, classified by the shared classifier."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime

import httpx

from monitor.config import WebhookChannel
from monitor.delivery.base import describe_error
from monitor.delivery.message import AlertMessage
from monitor.delivery.outcome import SendResult, classify_status, parse_retry_after
from monitor.delivery.payloads import render_body
from monitor.delivery.signing import load_secret, signature_headers
from monitor.delivery.transport import attempt_deadline
from monitor.errors import DeliveryError

USER_AGENT = "firealarm-webhook/1"


class WebhookSender:
    """Posts ``channel``'s body format, signed with the secret from ``environ``."""

    def __init__(
        self,
        name: str,
        channel: WebhookChannel,
        client: httpx.Client,
        environ: Mapping[str, str],
        external_url: str,
    ) -> None:
        self.name = name
        self.channel = channel
        self.client = client
        self.environ = environ
        self.external_url = external_url

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """POST once, signed as of ``now``; the channel's timeout bounds the whole attempt.

        A missing secret is a permanent failure naming the variable.
        """
        started = time.perf_counter()
        try:
            request = self.build_request(message, delivery_id, now)
        except DeliveryError as exc:
            return SendResult("failed", error=str(exc))
        try:
            with attempt_deadline(self.channel.timeout):
                response = self.client.send(request)
        except httpx.TransportError as exc:
            error = describe_error(exc, (str(request.url),))
            return SendResult("retry", error=error, duration_ms=_ms(started))
        outcome = classify_status(response.status_code)
        return SendResult(
            outcome,
            status_code=response.status_code,
            error=None if outcome == "sent" else f"HTTP {response.status_code}",
            retry_after=parse_retry_after(response.headers.get("retry-after"), now),
            duration_ms=_ms(started),
        )

    def build_request(
        self, message: AlertMessage, delivery_id: str, now: datetime
    ) -> httpx.Request:
        """The exact request: the signed bytes are the bytes sent."""
        body = render_body(self.channel.format, message, self.name, self.external_url)
        key = (
            load_secret(self.channel.secret_env, self.environ) if self.channel.secret_env else None
        )
        headers = {
            **self.channel.headers,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signature_headers(key, delivery_id, int(now.timestamp()), body),
        }
        return self.client.build_request(
            "POST", self.url(), content=body, headers=headers, timeout=self.channel.timeout
        )

    def url(self) -> str:
        """The configured URL, or the one in ``url_env`` (Slack and Discord URLs are secrets)."""
        if self.channel.url is not None:
            return self.channel.url
        variable = self.channel.url_env or ""
        url = self.environ.get(variable, "")
        if not url.startswith(("http://", "https://")):
            raise DeliveryError(
                f"webhook url: environment variable {variable} is not an http(s) URL"
            )
        return url


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
