"""The webhook sender: one signed HTTP POST with httpx, classified by the shared classifier."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import httpx

from monitor.config import WebhookChannel
from monitor.delivery.attempt import send_once
from monitor.delivery.base import ChartRenderer, chart_or_none
from monitor.delivery.message import AlertMessage
from monitor.delivery.multipart import discord_multipart
from monitor.delivery.outcome import SendResult
from monitor.delivery.payloads import render_body
from monitor.delivery.signing import load_secret, signature_headers
from monitor.delivery.templates import custom_body, template_context
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
        chart: ChartRenderer = lambda message: None,
    ) -> None:
        self.name = name
        self.channel = channel
        self.client = client
        self.environ = environ
        self.external_url = external_url
        self.chart = chart
        self._parsed: tuple[str, httpx.URL] | None = None

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """POST once, signed as of ``now``; the channel's timeout bounds the whole attempt.

        A missing secret or a custom body that is not JSON fails for good.
        """
        try:
            request = self.build_request(message, delivery_id, now)
        except DeliveryError as exc:
            return SendResult("failed", error=str(exc))
        return send_once(self.client, request, now, self.channel.timeout)

    def build_request(
        self, message: AlertMessage, delivery_id: str, now: datetime
    ) -> httpx.Request:
        """The exact request: the signed bytes are the bytes sent."""
        body, content_type = self._body(message)
        key = (
            load_secret(self.channel.secret_env, self.environ) if self.channel.secret_env else None
        )
        headers = {
            **self.channel.headers,
            "content-type": content_type,
            "user-agent": USER_AGENT,
            **signature_headers(key, delivery_id, int(now.timestamp()), body),
        }
        return self.client.build_request(
            "POST", self._parsed_url(), content=body, headers=headers, timeout=self.channel.timeout
        )

    def _parsed_url(self) -> httpx.URL:
        """:meth:`url` parsed once (it is the same for every attempt unless its variable is not)."""
        url = self.url()
        if self._parsed is None or self._parsed[0] != url:
            self._parsed = (url, httpx.URL(url))
        return self._parsed[1]

    def _body(self, message: AlertMessage) -> tuple[bytes, str]:
        """The body and its content type: JSON, or Discord's multipart with the chart file."""
        fmt = self.channel.format
        if fmt == "custom":
            context = template_context(message, self.name, self.external_url)
            return custom_body(self.channel.body_template or "", context), "application/json"
        body = render_body(fmt, message, self.name, self.external_url)
        if fmt == "discord" and (chart := chart_or_none(self.chart, message)):
            return discord_multipart(body, chart, f"{message.signal}.png")
        return body, "application/json"

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
