"""The email sender: one SMTP submission (STARTTLS, implicit TLS or plain) with smtplib.

The message is multipart/alternative: a text part, and an HTML part that shows the signal's chart
inline (multipart/related, ``cid:``, ``Content-Disposition: inline``) and links to the signal on
the dashboard when ``external_url`` is set. SMTP 4xx replies and connection problems are
recoverable, 5xx replies and TLS/authentication failures are not. A message some recipients
accepted is sent (trying again would repeat it to them); the refused ones are named in the
result's error.
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

from monitor.config import EmailChannel
from monitor.delivery.base import ChartRenderer, chart_or_none, describe_error
from monitor.delivery.chat import alert_lines, headline
from monitor.delivery.limits import truncate
from monitor.delivery.message import AlertMessage, signal_url
from monitor.delivery.outcome import SendResult, classify_smtp, classify_smtp_refusals
from monitor.errors import DeliveryError
from monitor.sanitize import printable

log = logging.getLogger(__name__)
# A signal's chart up to a date, as PNG bytes (injected: delivery does not read the store).
SignalChart = Callable[[str, date], bytes | None]


SUBJECT_LENGTH = 200
FALLBACK_DOMAIN = "firealarm.invalid"  # RFC 2606: a domain that is never anyone's
_PLAIN_WORD = 60  # a longer word could not be folded into 78-character lines: encode it
_HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class _MailPolicy(EmailPolicy):
    """The default policy, except that the subject is folded by ``email.header``: CPython
    3.11's folder can put a subject on an empty first line (before ``<`` or ``(``) and emit
    empty encoded words (``=?utf-8?q??=``) next to an emoji.
    """

    def fold(self, name: str, value: Any) -> str:
        if name.lower() != "subject":
            folded: str = super().fold(name, value)
            return folded
        text = str(value)
        plain = text.isascii() and all(len(word) <= _PLAIN_WORD for word in text.split())
        encoded = Header(text, "us-ascii" if plain else "utf-8", header_name=name)
        return f"{name}: {encoded.encode(linesep=self.linesep)}{self.linesep}"

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() != "subject":
            return super().fold_binary(name, value)
        return self.fold(name, value).encode("ascii")


MAIL_POLICY = _MailPolicy()


def build_email(
    message: AlertMessage,
    channel: EmailChannel,
    delivery_id: str,
    charts: Sequence[tuple[str, bytes]],
    external_url: str | None = None,
) -> EmailMessage:
    """The email for ``message``; ``delivery_id`` becomes the Message-ID (stable on retries).

    ``charts`` are (signal, PNG) pairs, shown inline one after another: one per signal of a
    group notification. ``external_url`` (the dashboard's, when configured) gives the signal
    link and the Message-ID's domain.
    """
    domain = message_domain(external_url)
    link = signal_url(external_url, message.signal) if external_url else None
    email = EmailMessage(policy=MAIL_POLICY)
    email["Subject"] = subject(message)
    email["From"] = channel.from_
    email["To"] = ", ".join(channel.to)
    email["Date"] = format_datetime(message.timestamp)
    email["Message-ID"] = f"<{delivery_id}@{domain}>"
    email["X-Firealarm-Fingerprint"] = message.fingerprint
    email.set_content(_text(message, link))
    images = [(signal, png, make_msgid(domain=domain)) for signal, png in charts]
    cids = [(signal, cid) for signal, _, cid in images]
    email.add_alternative(_html(message, cids, link), subtype="html")
    html_part = email.get_payload()[1] if images else None  # type: ignore[index]
    for signal, png, cid in images:
        html_part.add_related(  # type: ignore[union-attr]  # multipart: a list of parts
            png, "image", "png", cid=cid, disposition="inline", filename=f"{signal}.png"
        )
    return email


def subject(message: AlertMessage) -> str:
    """One line (whitespace collapsed, so a summary cannot add a header), at most 200 chars:
    the rendered ``title_template``, else ``headline: summary``."""
    text = message.title or f"{headline(message)}: {message.summary}"
    return truncate(" ".join(text.split()), SUBJECT_LENGTH)


def message_domain(external_url: str | None) -> str:
    """The dashboard's host name when it is a dotted one, else ``firealarm.invalid``."""
    host = urlsplit(external_url).hostname if external_url else None
    return host if host and _HOST.match(host) else FALLBACK_DOMAIN


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


def _text(message: AlertMessage, link: str | None) -> str:
    lines = [message.summary, "", *(f"{k}: {v}" for k, v in _facts(message))]
    if listed := alert_lines(message):
        lines += ["", "Alerts:", *(f"- {line}" for line in listed)]
    if link:
        lines += ["", f"Dashboard: {link}"]
    return "\n".join(lines) + "\n"


def _html(message: AlertMessage, cids: Sequence[tuple[str, str]], link: str | None) -> str:
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in _facts(message)
    )
    image = "".join(
        f"<p><img src='cid:{cid[1:-1]}' alt='{html.escape(signal)} chart'></p>"
        for signal, cid in cids
    )
    items = "".join(f"<li>{html.escape(line)}</li>" for line in alert_lines(message))
    listed = f"<h3>Alerts</h3><ul>{items}</ul>" if items else ""
    anchor = (
        f"<p><a href='{html.escape(link)}'>{html.escape(message.signal)} on the dashboard</a></p>"
        if link
        else ""
    )
    return (
        f"<html><body><h2>{html.escape(headline(message))}</h2>"
        f"<p>{html.escape(message.summary)}</p><table>{rows}</table>{listed}{image}{anchor}</body></html>"
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
        external_url: str | None = None,
    ) -> None:
        self.name = name
        self.channel = channel
        self.environ = environ
        self.chart = chart
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.external_url = external_url

    def _charts(self, message: AlertMessage) -> list[tuple[str, bytes]]:
        """One chart per signal the notification lists, in order (a group can span several)."""
        firsts: dict[str, AlertMessage] = {}
        for alert in message.members:
            firsts.setdefault(alert.signal, alert)
        drawn = [(signal, chart_or_none(self.chart, alert)) for signal, alert in firsts.items()]
        return [(signal, png) for signal, png in drawn if png]

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """Submit once and classify the SMTP outcome."""
        started = time.perf_counter()
        try:
            credentials = self._credentials()
        except DeliveryError as exc:
            return SendResult("failed", error=str(exc))
        email = build_email(
            message, self.channel, delivery_id, self._charts(message), self.external_url
        )
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


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    """``recipients refused: a@x: 450 4.2.2 Mailbox full; ...`` from smtplib's refusals."""
    parts = (
        f"{rcpt}: {code} {reply.decode(errors='replace')}"
        for rcpt, (code, reply) in refused.items()
    )
    return printable(f"recipients refused: {'; '.join(parts)}")[:500]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
