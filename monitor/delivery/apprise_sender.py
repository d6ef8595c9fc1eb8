"""The Apprise sender: Telegram, ntfy, Pushover, Gotify, Matrix, Teams... by Apprise URL.

A channel's URLs live in the environment variable ``urls_env`` (they hold tokens); each is its
own delivery target (:mod:`monitor.delivery.targets`). The chart goes along as an attachment
where the service takes one. A group notification's body lists every alert, one a line, as
many as the service's ``body_maxlen`` holds (then how many more there are).

Apprise answers only True/False; the HTTP status of a failure is read from the ``error=NNN``
that its plugins log, and classified like a webhook's (4xx fail, 429/5xx retry). A failure
without a status (connection refused, timeout) is retried; a URL Apprise cannot parse fails.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from monitor.config import AppriseChannel
from monitor.delivery.attempt import elapsed_ms
from monitor.delivery.base import ChartRenderer, chart_or_none, describe_error
from monitor.delivery.chat import alert_lines, headline
from monitor.delivery.limits import listed, text_length
from monitor.delivery.message import AlertMessage
from monitor.delivery.outcome import SendResult, classify_status
from monitor.delivery.targets import apprise_urls, target_name
from monitor.errors import DeliveryError

APPRISE_LOGGER = "apprise"
_STATUS = re.compile(r"error=(\d{3})\b")
# Apprise's NotifyType values (info, success, warning, failure) by alert state and severity.
_NOTIFY_TYPES = {"critical": "failure", "warning": "warning", "info": "info"}
_BODY_DEFAULT = 32_768  # Apprise's own default body_maxlen

Instantiate = Callable[[str], Any]  # Apprise URL -> a plugin with .notify(), or None


def _instantiate(url: str) -> Any:
    import apprise  # ~100 plugins: loaded only when an Apprise channel sends

    return apprise.Apprise.instantiate(url)


class AppriseSender:
    """Sends to one target of ``channel`` (``target``), or to all its URLs when None."""

    def __init__(
        self,
        name: str,
        channel: AppriseChannel,
        environ: Mapping[str, str],
        chart: ChartRenderer,
        *,
        target: str | None = None,
        instantiate: Instantiate | None = None,
    ) -> None:
        self.name = name
        self.channel = channel
        self.environ = environ
        self.chart = chart
        self.target = target
        self.instantiate = instantiate or _instantiate

    def send(self, message: AlertMessage, delivery_id: str, now: datetime) -> SendResult:
        """Notify each URL once; several results combine into the worst one."""
        try:
            urls = self._urls()
        except DeliveryError as exc:
            return SendResult("failed", error=str(exc))
        chart = chart_or_none(self.chart, message)
        results = [self._notify(url, message, chart) for url in urls]
        if len(results) == 1:
            return results[0]
        return _combine(results)

    def _urls(self) -> list[str]:
        urls = apprise_urls(self.channel, self.environ)
        variable = self.channel.urls_env
        if not urls:
            raise DeliveryError(f"apprise: environment variable {variable} holds no Apprise URL")
        if self.target is None:
            return urls
        for url in urls:
            if target_name(self.name, url) == self.target:
                return [url]
        raise DeliveryError(f"apprise: {self.target} is no longer among the URLs in {variable}")

    def _notify(self, url: str, message: AlertMessage, chart: bytes | None) -> SendResult:
        started = time.perf_counter()
        service = target_name(self.name, url).split("/", 1)[1]
        secrets = _secret_parts(url)
        try:
            plugin = self.instantiate(url)
        except Exception as exc:
            return SendResult("failed", error=f"apprise {service}: {describe_error(exc, secrets)}")
        if plugin is None:
            return SendResult("failed", error=f"apprise {service}: not a valid Apprise URL")
        plugin.socket_connect_timeout = plugin.socket_read_timeout = self.channel.timeout
        with _captured_warnings() as warnings:
            ok = plugin.notify(
                body=_body(message, plugin),
                title=headline(message),
                notify_type=_notify_type(message),
                attach=_attachment(chart, f"{message.signal}.png"),
            )
        if ok:
            return SendResult("sent", duration_ms=elapsed_ms(started))
        return _failure(service, warnings, secrets, elapsed_ms(started))


def _body(message: AlertMessage, plugin: Any) -> str:
    """The summary and, for a group, a line per alert, within what the service takes (a
    service without a title, e.g. Telegram, puts the title into the body)."""
    room = getattr(plugin, "body_maxlen", 0) or _BODY_DEFAULT
    if not getattr(plugin, "title_maxlen", 1):
        room -= text_length(headline(message)) + 2
    lines = [f"• {line}" for line in alert_lines(message)]
    return listed([message.summary or headline(message), *lines], max(room, 1))


def _notify_type(message: AlertMessage) -> str:
    if message.resolved:
        return "success"
    return _NOTIFY_TYPES.get(message.severity, "info")


def _attachment(chart: bytes | None, filename: str) -> Any:
    if chart is None:
        return None
    from apprise import AppriseAttachment
    from apprise.attachment.memory import AttachMemory

    memory = AttachMemory(content=chart, name=filename, mimetype="image/png")  # type: ignore[no-untyped-call]
    return AppriseAttachment(memory)


def _failure(
    service: str, warnings: list[str], secrets: tuple[str, ...], duration_ms: float
) -> SendResult:
    """Classify a failed notify from the HTTP status its plugin logged (none: retry)."""
    codes = [int(m[1]) for line in warnings if (m := _STATUS.search(line))]
    code = codes[-1] if codes else None
    reason = warnings[-1] if warnings else "notification failed"
    for secret in secrets:
        reason = reason.replace(secret, "***")
    return SendResult(
        classify_status(code) if code else "retry",
        status_code=code,
        error=f"apprise {service}: {reason}"[:500],
        duration_ms=duration_ms,
    )


def _combine(results: list[SendResult]) -> SendResult:
    """Several URLs' results as one: sent only if all were; else the most permanent failure."""
    rank = {"sent": 0, "retry": 1, "disabled": 2, "failed": 3}
    worst = max(results, key=lambda r: rank[r.outcome])
    errors = "; ".join(r.error for r in results if r.error)
    return SendResult(
        worst.outcome,
        status_code=worst.status_code,
        error=errors or None,
        duration_ms=sum(r.duration_ms for r in results),
    )


def _secret_parts(url: str) -> tuple[str, ...]:
    """The URL and its parts that may be credentials (user, password, path segments, query)."""
    parts = urlsplit(url)
    pieces = [url, parts.username or "", parts.password or "", parts.query]
    pieces += [unquote(p) for p in parts.path.split("/")]
    return tuple(sorted({p for p in pieces if len(p) >= 4}, key=len, reverse=True))


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    """Apprise's warnings logged by this thread while the block runs (others send alongside)."""
    lines: list[str] = []
    thread = threading.get_ident()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == thread:
                lines.append(record.getMessage())

    handler = Collect(logging.WARNING)
    logger = logging.getLogger(APPRISE_LOGGER)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
