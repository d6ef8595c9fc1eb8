"""One sender per configured channel, built from the config and the injected seams."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Mapping

import httpx

from monitor.config import Config, EmailChannel
from monitor.delivery.base import Sender
from monitor.delivery.email import ChartRenderer, EmailSender
from monitor.delivery.transport import channel_client
from monitor.delivery.webhook import WebhookSender

ClientFactory = Callable[[int], httpx.Client]


class Senders(dict[str, Sender]):
    """Channel name → its sender; owns the HTTP clients (one per channel) until :meth:`close`."""

    def __init__(self) -> None:
        super().__init__()
        self.clients: list[httpx.Client] = []

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()


def build_senders(
    config: Config,
    *,
    environ: Mapping[str, str],
    chart: ChartRenderer,
    ssl_context: ssl.SSLContext | None = None,
    client_for: ClientFactory = channel_client,
) -> Senders:
    """Channel name → its sender. Secrets are read from ``environ`` at send time.

    Each HTTP channel gets its own client (``client_for(concurrency)``), kept for the senders'
    life so connections are reused and one channel's pool never waits for another's.
    """
    # httpx logs every request URL at INFO; a Slack or Discord webhook URL is a credential.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    senders = Senders()
    for name, channel in config.channels.items():
        if isinstance(channel, EmailChannel):
            senders[name] = EmailSender(
                name, channel, environ, chart, ssl_context, config.alerts.external_url
            )
        else:
            client = client_for(channel.concurrency)
            senders.clients.append(client)
            senders[name] = WebhookSender(name, channel, client, environ, config.external_url())
    return senders
