"""Guards around every response: the Host allow-list and the security headers.

DNS rebinding: a web page on ``attacker.example`` whose name is made to resolve to 127.0.0.1 can
read whatever answers there, because the browser thinks it is talking to ``attacker.example``.
It cannot change the ``Host`` header, so only names this server is known by are answered:
loopback names, the host of ``[alerts].external_url`` and ``[server].allowed_hosts``; any other
host gets 400. Every response also says it may not be framed (clickjacking) nor sniffed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.api.errors import error_response
from monitor.config import Config

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
ANY_HOST = "*"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def allowed_hosts(config: Config) -> frozenset[str]:
    """The host names this server answers to, lower-case (``*`` answers any)."""
    names = set(LOOPBACK_NAMES) | {h.lower() for h in config.server.allowed_hosts}
    if config.alerts.external_url:
        names.add((urlsplit(config.alerts.external_url).hostname or "").lower())
    return frozenset(names - {""})


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without port or IPv6 brackets, lower-case."""
    if header.startswith("["):
        return header[1 : header.find("]")].lower() if "]" in header else ""
    return header.rpartition(":")[0].lower() if header.count(":") == 1 else header.lower()


def is_loopback(name: str) -> bool:
    """Whether ``name`` (a host or address) is this machine only: localhost, 127.0.0.0/8, ::1."""
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


class HostGuard:
    """400 for a request whose ``Host`` is not one of ``hosts``."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ANY_HOST not in self.hosts:
            name = host_name(Headers(scope=scope).get("host", ""))
            if name not in self.hosts and not is_loopback(name):
                await error_response(400, "unknown host (see [server].allowed_hosts)")(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
