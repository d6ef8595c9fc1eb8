"""The email sender: one SMTP submission (STARTTLS, implicit TLS or plain) with smtplib.

The message is multipart/alternative: a text part, and an HTML part that shows the signal's chart
inline (multipart/related, ``cid:``). SMTP 4xx replies and connection problems are recoverable,
5xx replies and TLS/authentication failures are not. A message some recipients accepted is sent
(trying again would repeat it to them); the refused ones are named in the result's error.
"""

from __future__ import annotations

import html
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from monitor.config import EmailChannel
from monitor.delivery.base import describe_error
from monitor.delivery.chat import alert_lines, headline
from monitor.delivery.message import AlertMessage
from monitor.delivery.outcome import SendResult, classify_smtp, classify_smtp_refusals
from monitor.errors import DeliveryError

log = logging.getLogger(__name__)
ChartRenderer = Callable[[AlertMessage], bytes | None]


def build_email(
    message: AlertMessage, channel: EmailChannel, delivery_id: str, chart: bytes | None
) -> EmailMessage:
    """The email for ``message``; ``delivery_id`` becomes the Message-ID (stable on retries)."""
    email = EmailMessage()
    email["Subject"] = f"{headline(message)}: {message.summary}"[:200]
    email["From"] = channel.from_
    email["To"] = ", ".join(channel.to)
    email["Date"] = format_datetime(message.timestamp)
    email["Message-ID"] = f"<{delivery_id}@firealarm>"
    email["X-Firealarm-Fingerprint"] = message.fingerprint
    email.set_content(_text(message))
    cid = make_msgid(domain="firealarm")
    email.add_alternative(_html(message, cid if chart else None), subtype="html")
    if chart:
        html_part = email.get_payload()[1]
        html_part.add_related(chart, "image", "png", cid=cid, filename=f"{message.signal}.png")
    return email


def _facts(message: AlertMessage) -> list[tuple[str, str]]:
    value = "n/a" if message.value is None else f"{message.value:.4g}"
    return [
        ("Rule", message.rule),
        ("State", message.state),
        ("Severity", message.severity),
        ("Signal", message.signal),
        ("Value", value),
        ("Threshold", f"{message.threshold:.4g}"),
        ("Date", message.date.isoformat()),
    ]


def _text(message: AlertMessage) -> str:
    lines = [message.summary, "", *(f"{k}: {v}" for k, v in _facts(message))]
    if listed := alert_lines(message):
        lines += ["", "Alerts:", *(f"- {line}" for line in listed)]
    return "\n".join(lines) + "\n"


def _html(message: AlertMessage, cid: str | None) -> str:
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in _facts(message)
    )
    image = (
        f"<p><img src='cid:{cid[1:-1]}' alt='{html.escape(message.signal)} chart'></p>"
        if cid
        else ""
    )
    items = "".join(f"<li>{html.escape(line)}</li>" for line in alert_lines(message))
    listed = f"<h3>Alerts</h3><ul>{items}</ul>" if items else ""
    return (
        f"<html><body><h2>{html.escape(headline(message))}</h2>"
        f"<p>{html.escape(message.summary)}</p><table>{rows}</table>{listed}{image}</body></html>"
    )


class EmailSender:
    """Submits to ``channel``'s SMTP server with credentials from ``environ``."""

    def __init__(
        self,
        name: str,
        channel: EmailChannel,
        environ: Mapping[str, str],
        chart: ChartRenderer,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.name = name
        self.channel = channel
        self.environ = environ
        self.chart = chart
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """Submit once and classify the SMTP outcome."""
        started = time.perf_counter()
        try:
            credentials = self._credentials()
        except DeliveryError as exc:
            return SendResult("failed", error=str(exc))
        email = build_email(message, self.channel, delivery_id, self._chart(message))
        secrets = tuple(credentials or ())
        try:
            with self._connect() as smtp:
                if credentials:
                    smtp.login(*credentials)
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            outcome, code = classify_smtp_refusals([c for c, _ in exc.recipients.values()])
            return SendResult(
                outcome, status_code=code, error=_refusals(exc.recipients), duration_ms=_ms(started)
            )
        except smtplib.SMTPResponseException as exc:
            return SendResult(
                classify_smtp(exc.smtp_code),
                status_code=exc.smtp_code,
                error=describe_error(exc, secrets),
                duration_ms=_ms(started),
            )
        except (smtplib.SMTPNotSupportedError, ssl.SSLError) as exc:
            return SendResult(
                "failed", error=describe_error(exc, secrets), duration_ms=_ms(started)
            )
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult("retry", error=describe_error(exc, secrets), duration_ms=_ms(started))
        error = _refusals(refused) if refused else None
        if error:
            log.warning("email to %s sent, but %s", self.name, error)
        return SendResult("sent", status_code=250, error=error, duration_ms=_ms(started))

    def _connect(self) -> smtplib.SMTP:
        host, port, timeout = self.channel.smtp_host, self.channel.smtp_port, self.channel.timeout
        if self.channel.security == "tls":
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=self.ssl_context)
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if self.channel.security == "starttls":
            try:
                smtp.starttls(context=self.ssl_context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _credentials(self) -> tuple[str, str] | None:
        username_env, password_env = self.channel.username_env, self.channel.password_env
        if username_env is None or password_env is None:
            return None
        for variable in (username_env, password_env):
            if not self.environ.get(variable):
                raise DeliveryError(f"smtp credentials: environment variable {variable} is not set")
        return self.environ[username_env], self.environ[password_env]

    def _chart(self, message: AlertMessage) -> bytes | None:
        try:
            return self.chart(message)
        except Exception as exc:  # a chart is a nicety: the alert goes out without it
            log.warning("no chart for %s: %s", message.signal, describe_error(exc))
            return None


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    """``recipients refused: a@x: 450 4.2.2 Mailbox full; ...`` from smtplib's refusals."""
    parts = (
        f"{rcpt}: {code} {reply.decode(errors='replace')}"
        for rcpt, (code, reply) in refused.items()
    )
    return f"recipients refused: {'; '.join(parts)}"[:500]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
