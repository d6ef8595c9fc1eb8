"""One sender per configured channel, built from the config and the injected seams."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping

import httpx

from monitor.config import Config, EmailChannel
from monitor.delivery.base import Sender
from monitor.delivery.email import ChartRenderer, EmailSender
from monitor.delivery.webhook import WebhookSender


def build_senders(
    config: Config,
    *,
    client: httpx.Client,
    environ: Mapping[str, str],
    chart: ChartRenderer,
    ssl_context: ssl.SSLContext | None = None,
) -> dict[str, Sender]:
    """Channel name → its sender. Secrets are read from ``environ`` at send time."""
    # httpx logs every request URL at INFO; a Slack or Discord webhook URL is a credential.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    senders: dict[str, Sender] = {}
    for name, channel in config.channels.items():
        if isinstance(channel, EmailChannel):
            senders[name] = EmailSender(
                name, channel, environ, chart, ssl_context, config.alerts.external_url
            )
        else:
            senders[name] = WebhookSender(name, channel, client, environ, config.external_url())
    return senders
