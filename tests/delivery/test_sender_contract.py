"""The contract every channel's sender fulfils (:mod:`monitor.delivery.base`), on each of them.

One suite over a harness per channel kind (each webhook body format, email, PagerDuty), each
talking to a real loopback receiver (an HTTP server, aiosmtpd): a new channel type adds a
harness and gets every check. A sender sends once, says how it went, never raises for a failed
send, keeps the delivery id across retries (the receiver's dedup key) and never puts a secret in
an error. Apprise is not here: its services carry no delivery id, so they cannot tell a retry;
``test_apprise`` covers the rest against loopback ntfy and Telegram.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from monitor.config import Config, parse_config
from monitor.delivery.base import Sender
from monitor.delivery.senders import build_senders
from tests.delivery.conftest import SECRET, SECRET_ENV, T0, probe_message, webhook_config
from tests.delivery.receiver import Receiver, Reply
from tests.delivery.smtp_server import SmtpServer, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "alerts@example.com", "s3cret-smtp-pass"
PD_KEY_ENV = "TEST_PAGERDUTY_KEY"
ENV = {
    SECRET_ENV: SECRET,
    "TEST_SMTP_USER": USER,
    "TEST_SMTP_PASSWORD": PASSWORD,
    PD_KEY_ENV: "R0UT1NGK3Y0000000000000000000000",
}


def _email_config(port: int) -> Config:
    return parse_config(
        f"""
[alerts]
default_channels = ["hook"]
[channels.hook]
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "starttls"
username_env = "TEST_SMTP_USER"
password_env = "TEST_SMTP_PASSWORD"
from = "firealarm@example.com"
to = ["me@example.com"]
timeout = 5
"""
    )


@dataclass
class Harness:
    """A sender to a live receiver, one to an address nobody listens on, and what arrived."""

    sender: Sender
    unreachable: Sender
    delivered_ids: Callable[[], list[str]]
    secrets: tuple[str, ...]


def _senders(config: Config, client: httpx.Client, **tls: object) -> Sender:
    built = build_senders(config, client=client, environ=ENV, chart=lambda _: None, **tls)
    return built["hook"]


def _webhook(fmt: str) -> Callable[[httpx.Client], Iterator[Harness]]:
    def harness(client: httpx.Client) -> Iterator[Harness]:
        receiver = Receiver(secret=SECRET if fmt == "firealarm" else None)
        receiver.clock = T0.timestamp  # signatures are checked at the time the test sends at
        dead = f"http://127.0.0.1:{free_port()}/hook"
        try:
            yield Harness(
                _senders(webhook_config(receiver.url, fmt=fmt, timeout=2), client),
                _senders(webhook_config(dead, fmt=fmt, timeout=2), client),
                lambda: [r.headers.get("webhook-id", "") for r in receiver.requests],
                (SECRET,),
            )
        finally:
            receiver.close()

    return harness


def _email(client: httpx.Client) -> Iterator[Harness]:
    server = SmtpServer(security="starttls", username=USER, password=PASSWORD)

    def ids() -> list[str]:
        return [str(m["Message-ID"]).strip("<>").split("@")[0] for m in server.mailbox.messages]

    try:
        tls = {"ssl_context": server.client_context}
        yield Harness(
            _senders(_email_config(server.port), client, **tls),
            _senders(_email_config(free_port()), client, **tls),
            ids,
            (PASSWORD,),
        )
    finally:
        server.stop()


def _pagerduty(client: httpx.Client) -> Iterator[Harness]:
    receiver = Receiver()
    receiver.default = Reply(202, body=b'{"status":"success"}')

    def config(url: str) -> Config:
        return parse_config(
            f'[channels.hook]\ntype = "pagerduty"\nrouting_key_env = "{PD_KEY_ENV}"\n'
            f'url = "{url}"\ntimeout = 2\n'
        )

    def ids() -> list[str]:
        bodies = [json.loads(r.body) for r in receiver.requests]
        return [b["payload"]["custom_details"]["delivery_id"] for b in bodies]

    try:
        yield Harness(
            _senders(config(receiver.url), client),
            _senders(config(f"http://127.0.0.1:{free_port()}/v2/enqueue"), client),
            ids,
            (ENV[PD_KEY_ENV],),
        )
    finally:
        receiver.close()


HARNESSES: dict[str, Callable[[httpx.Client], Iterator[Harness]]] = {
    "pagerduty": _pagerduty,
    "webhook-firealarm": _webhook("firealarm"),
    "webhook-alertmanager": _webhook("alertmanager"),
    "webhook-slack": _webhook("slack"),
    "webhook-discord": _webhook("discord"),
    "email": _email,
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with httpx.Client() as client:
        yield from HARNESSES[request.param](client)


def _message(now: datetime = T0):  # type: ignore[no-untyped-def]
    return probe_message("hook", now)


def test_an_accepted_send_is_sent_once_under_its_delivery_id(harness: Harness) -> None:
    result = harness.sender.send(_message(), "dlv-contract-1", T0)
    assert result.outcome == "sent" and result.ok
    assert harness.delivered_ids() == ["dlv-contract-1"]


def test_a_retry_carries_the_same_id_so_receivers_can_drop_the_duplicate(
    harness: Harness,
) -> None:
    for _ in range(2):
        assert harness.sender.send(_message(), "dlv-contract-2", T0).ok
    assert harness.delivered_ids() == ["dlv-contract-2", "dlv-contract-2"]


def test_a_receiver_that_is_down_is_a_retry_not_an_exception(harness: Harness) -> None:
    result = harness.unreachable.send(_message(), "dlv-contract-3", T0)
    assert result.outcome == "retry" and not result.ok
    assert result.error and "\n" not in result.error
    assert not any(secret in result.error for secret in harness.secrets)
    assert harness.delivered_ids() == []
