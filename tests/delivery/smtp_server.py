"""A real SMTP server on loopback (aiosmtpd) with STARTTLS or implicit TLS and AUTH."""

from __future__ import annotations

import socket
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """Collects the messages the server accepted; refuses the recipients in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}  # recipient -> the reply to its RCPT, e.g. "450 ..."

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpServer:
    """aiosmtpd with a self-signed certificate (trustme CA) and LOGIN/PLAIN auth."""

    def __init__(self, *, security: str, username: str, password: str) -> None:
        self.security = security
        self.ca = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(server_context)
        self.client_context = ssl.create_default_context()
        self.ca.configure_trust(self.client_context)
        self.mailbox = Mailbox()
        self.port = free_port()
        self.credentials = (username.encode(), password.encode())
        tls = {"tls_context": server_context, "require_starttls": True}
        if security == "tls":
            tls = {"ssl_context": server_context}
        self.controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            # aiosmtpd only sees STARTTLS as TLS; with implicit TLS the whole session is already
            auth_require_tls=security == "starttls",
            server_hostname="127.0.0.1",
            **(tls if security != "none" else {}),
        )
        self.controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (
            (auth_data.login, auth_data.password) == self.credentials
        )
        return AuthResult(success=ok, handled=False)

    def stop(self) -> None:
        self.controller.stop()
