"""One sender per configured channel (and per Apprise URL), built from the config and seams."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping

import httpx

from monitor.config import AppriseChannel, Config, EmailChannel, PagerDutyChannel, WebhookChannel
from monitor.delivery.apprise_sender import APPRISE_LOGGER, AppriseSender, Instantiate
from monitor.delivery.base import ChartRenderer, Sender
from monitor.delivery.email import EmailSender
from monitor.delivery.pagerduty import PagerDutySender
from monitor.delivery.targets import apprise_urls, target_name
from monitor.delivery.templates import TemplatedSender
from monitor.delivery.webhook import WebhookSender

ChannelConfig = WebhookChannel | EmailChannel | AppriseChannel | PagerDutyChannel


def build_senders(
    config: Config,
    *,
    client: httpx.Client,
    environ: Mapping[str, str],
    chart: ChartRenderer,
    ssl_context: ssl.SSLContext | None = None,
    instantiate: Instantiate | None = None,
) -> dict[str, Sender]:
    """Delivery target → its sender. Secrets are read from ``environ`` at send time.

    A target is a channel's name, and for an Apprise channel also one per URL
    (:mod:`monitor.delivery.targets`); its own name sends to all its URLs (``notify-test``).
    ``instantiate`` replaces Apprise's URL parser (tests point a Telegram plugin at loopback).
    """
    # httpx logs every request URL at INFO, Apprise logs tokens at DEBUG: both are credentials.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger(APPRISE_LOGGER).setLevel(logging.WARNING)
    external_url = config.external_url()
    senders: dict[str, Sender] = {}
    for name, channel in config.channels.items():
        sender: Sender
        if isinstance(channel, EmailChannel):
            sender = EmailSender(
                name, channel, environ, chart, ssl_context, config.alerts.external_url
            )
        elif isinstance(channel, PagerDutyChannel):
            sender = PagerDutySender(name, channel, client, environ, external_url)
        elif isinstance(channel, AppriseChannel):
            for url in apprise_urls(channel, environ):
                target = target_name(name, url)
                one = AppriseSender(
                    name, channel, environ, chart, target=target, instantiate=instantiate
                )
                senders[target] = _templated(one, name, channel, external_url)
            sender = AppriseSender(name, channel, environ, chart, instantiate=instantiate)
        else:
            sender = WebhookSender(name, channel, client, environ, external_url, chart)
        senders[name] = _templated(sender, name, channel, external_url)
    return senders


def _templated(sender: Sender, name: str, channel: ChannelConfig, external_url: str) -> Sender:
    """``sender`` rendering the channel's title and body templates first, if it has any."""
    body = channel.body_template
    if isinstance(channel, WebhookChannel) and channel.format == "custom":
        body = None  # a custom webhook's body template is the whole request body
    if channel.title_template is None and body is None:
        return sender
    return TemplatedSender(
        sender, name, external_url, title_template=channel.title_template, body_template=body
    )
