"""Rendering channel templates (``title_template``, ``body_template``) with the alert.

Checked and compiled by :mod:`monitor.config.channel_templates`; a template that fails at send
time (``labels.team`` on an alert without that label) fails the delivery with the reason, since
trying again would fail the same way.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from jinja2 import TemplateError

from monitor.config.channel_templates import compiled
from monitor.delivery.base import Sender
from monitor.delivery.message import AlertMessage, signal_url
from monitor.delivery.outcome import SendResult
from monitor.errors import DeliveryError


def template_context(message: AlertMessage, channel: str, external_url: str) -> dict[str, Any]:
    """What a template sees: the (first) alert, the channel, and links to the dashboard; and
    for a group notification ``alerts`` (every alert, each with the same fields) and
    ``group_labels`` (``alerts`` is the one alert otherwise)."""
    return {
        **_alert_context(message, external_url),
        "alerts": [_alert_context(alert, external_url) for alert in message.members],
        "group_labels": dict(message.group_labels or {}),
        "channel": channel,
    }


def _alert_context(message: AlertMessage, external_url: str) -> dict[str, Any]:
    url = signal_url(external_url, message.signal)
    return {
        "rule": message.rule,
        "state": message.state,
        "type": message.type,
        "date": message.date.isoformat(),
        "starts_at": message.starts_at.isoformat() if message.starts_at else None,
        "signal": message.signal,
        "value": message.value,
        "threshold": message.threshold,
        "severity": message.severity,
        "labels": dict(message.labels),
        "summary": message.summary,
        "fingerprint": message.fingerprint,
        "event_id": message.event_id,
        "url": url,
        "chart_url": url,  # the dashboard card that draws the signal's chart
    }


def render(source: str, context: dict[str, Any]) -> str:
    """``source`` rendered with ``context``; a DeliveryError says why it could not be."""
    try:
        return compiled(source).render(context)
    except TemplateError as exc:
        raise DeliveryError(f"template failed: {type(exc).__name__}: {exc}") from None
    except (ArithmeticError, TypeError, ValueError) as exc:  # e.g. a format filter on None
        raise DeliveryError(f"template failed: {type(exc).__name__}: {exc}") from None


def custom_body(source: str, context: dict[str, Any]) -> bytes:
    """A ``format = "custom"`` webhook body: the rendered template, which must be JSON.

    The rendered bytes are sent as they are (the user's layout, signed as sent); they are only
    parsed to refuse what a receiver expecting JSON could not read.
    """
    text = render(source, context)
    try:
        json.loads(text)
    except ValueError as exc:
        raise DeliveryError(f"body_template did not render JSON: {exc}") from None
    return text.encode()


class TemplatedSender:
    """Renders a channel's title and body templates into the message, then lets ``inner`` send.

    The title replaces the headline (``[FIRING:critical] rule``) and the body the summary, in
    whatever shape the channel sends them.
    """

    def __init__(
        self,
        inner: Sender,
        name: str,
        external_url: str,
        *,
        title_template: str | None,
        body_template: str | None,
    ) -> None:
        self.inner = inner
        self.name = name
        self.external_url = external_url
        self.title_template = title_template
        self.body_template = body_template

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """Render, then send once; a template failure is a permanent failure."""
        context = template_context(message, self.name, self.external_url)
        try:
            title = render(self.title_template, context) if self.title_template else None
            body = render(self.body_template, context) if self.body_template else None
        except DeliveryError as exc:
            return SendResult("failed", error=str(exc))
        message = replace(
            message,
            title=" ".join(title.split()) if title is not None else message.title,  # one line
            summary=body if body is not None else message.summary,
        )
        return self.inner.send(message, delivery_id, now)
