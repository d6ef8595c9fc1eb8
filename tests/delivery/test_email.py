"""Email to a real SMTP server on loopback (aiosmtpd): STARTTLS, implicit TLS, AUTH from env."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher, chart_renderer
from monitor.delivery.email import EmailSender
from monitor.delivery.message import notify_test_message
from monitor.delivery.senders import build_senders
from monitor.store.database import session_scope
from monitor.store.models import Delivery, SignalValue
from tests.delivery.conftest import T0, queue_event
from tests.delivery.smtp_server import SmtpServer

# aiosmtpd counts only STARTTLS as TLS; under implicit TLS it warns that AUTH lacks TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "alerts@example.com", "s3cret-smtp-pass"
ENV = {"TEST_SMTP_USER": USER, "TEST_SMTP_PASSWORD": PASSWORD}


def email_config(port: int, security: str):
    return parse_config(
        f"""
[[rules]]
name = "btc_vs_ndx"
signal = "btc_vs_ndx"
op = "<"
threshold = -25.0
clear_threshold = -15.0

[[instruments]]
symbol = "BTC-USD"
source = "yahoo"

[[instruments]]
symbol = "^NDX"
source = "yahoo"

[[signals]]
id = "btc_vs_ndx"
kind = "relative_return"
inputs = ["BTC-USD", "^NDX"]
window = 90

[channels.team]
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "{security}"
username_env = "TEST_SMTP_USER"
password_env = "TEST_SMTP_PASSWORD"
from = "firealarm@example.com"
to = ["me@example.com", "you@example.com"]
timeout = 10
"""
    )


@pytest.fixture(params=["starttls", "tls"])
def smtp(request):
    server = SmtpServer(security=request.param, username=USER, password=PASSWORD)
    yield server
    server.stop()


def _store_signal(engine, last: date) -> None:
    with session_scope(engine) as session:
        for n in range(120):
            day = last - timedelta(days=119 - n)
            session.add(
                SignalValue(signal="btc_vs_ndx", date=day, value=-10.0 - n / 4, computed_at=T0)
            )


def test_alert_email_has_text_html_and_inline_chart(smtp, sqlite_engine, clock):
    config = email_config(smtp.port, smtp.security)
    _store_signal(sqlite_engine, date(2026, 3, 2))
    [delivery_id] = queue_event(sqlite_engine, clock.now, channels=("team",))
    senders = build_senders(
        config,
        environ=ENV,
        chart=chart_renderer(config, sqlite_engine),
        ssl_context=smtp.client_context,
    )
    report = Dispatcher(config, sqlite_engine, senders).dispatch_due(clock.now)

    assert report.statuses == {delivery_id: "sent"}
    [message] = smtp.mailbox.messages
    assert smtp.mailbox.envelopes == [
        ("firealarm@example.com", ["me@example.com", "you@example.com"])
    ]
    assert message["Subject"].startswith("[FIRING:critical] btc_vs_ndx: Bitcoin trails")
    assert message["Message-ID"] == f"<{delivery_id}@firealarm>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    assert "Threshold: -25" in text and "Value: -31.4" in text
    html_part = message.get_body(("html",))
    related = message.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    png = image.get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    cid = image["Content-ID"].strip("<>")
    assert f"cid:{cid}" in html_part.get_content()
    with session_scope(sqlite_engine) as session:
        assert session.scalar(select(Delivery.last_status_code)) == 250


def _sender(smtp: SmtpServer, environ: dict[str, str], port: int | None = None) -> EmailSender:
    config = email_config(port or smtp.port, smtp.security)
    channel = config.channels["team"]
    return EmailSender("team", channel, environ, lambda m: None, smtp.client_context)


def test_wrong_password_fails_without_leaking_it(smtp, clock):
    result = _sender(smtp, {**ENV, "TEST_SMTP_PASSWORD": "wrong-pass"}).send(
        notify_test_message("team", clock.now), "msg_x", clock.now
    )
    assert (result.outcome, result.status_code) == ("failed", 535)
    assert "wrong-pass" not in (result.error or "")
    assert smtp.mailbox.messages == []


def test_missing_credentials_variable_is_named(smtp, clock):
    result = _sender(smtp, {"TEST_SMTP_USER": USER}).send(
        notify_test_message("team", clock.now), "msg_x", clock.now
    )
    assert result.outcome == "failed"
    assert result.error == "smtp credentials: environment variable TEST_SMTP_PASSWORD is not set"


def test_server_down_is_retried(smtp, clock):
    from tests.delivery.smtp_server import free_port

    result = _sender(smtp, ENV, port=free_port()).send(
        notify_test_message("team", clock.now), "msg_x", clock.now
    )
    assert result.outcome == "retry"
    assert "ConnectionRefusedError" in (result.error or "")


def test_untrusted_certificate_fails(smtp, clock):
    config = email_config(smtp.port, smtp.security)
    sender = EmailSender("team", config.channels["team"], ENV, lambda m: None)  # system CAs
    result = sender.send(notify_test_message("team", clock.now), "msg_x", clock.now)
    assert result.outcome == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in (result.error or "")


MAILBOX_FULL = "450 4.2.2 Mailbox full, try again later"
NO_SUCH_USER = "550 5.1.1 No such user"


@pytest.mark.parametrize(
    ("me", "you", "outcome", "code"),
    [
        (MAILBOX_FULL, MAILBOX_FULL, "retry", 450),
        (NO_SUCH_USER, NO_SUCH_USER, "failed", 550),
        (NO_SUCH_USER, MAILBOX_FULL, "retry", 450),  # you@ may take it later; nobody has it yet
    ],
    ids=["all-4xx", "all-5xx", "5xx-and-4xx"],
)
def test_every_recipient_refused_is_retried_if_any_refusal_is_temporary(
    smtp, clock, me, you, outcome, code
):
    smtp.mailbox.refuse = {"me@example.com": me, "you@example.com": you}
    result = _sender(smtp, ENV).send(notify_test_message("team", clock.now), "msg_x", clock.now)
    assert (result.outcome, result.status_code) == (outcome, code)
    assert "me@example.com" in (result.error or "") and str(code) in (result.error or "")
    assert smtp.mailbox.messages == []


@pytest.mark.parametrize("refusal", [NO_SUCH_USER, MAILBOX_FULL])
def test_some_recipients_refused_is_sent_to_the_others_and_names_the_refused(smtp, clock, refusal):
    smtp.mailbox.refuse = {"you@example.com": refusal}
    result = _sender(smtp, ENV).send(notify_test_message("team", clock.now), "msg_x", clock.now)
    assert (result.outcome, result.status_code) == ("sent", 250)
    assert result.error == f"recipients refused: you@example.com: {refusal}"
    assert smtp.mailbox.envelopes == [("firealarm@example.com", ["me@example.com"])]


def test_temporary_refusal_follows_the_retry_schedule_until_accepted(smtp, sqlite_engine, clock):
    config = email_config(smtp.port, smtp.security)
    [delivery_id] = queue_event(sqlite_engine, clock.now, channels=("team",))
    senders = build_senders(
        config, environ=ENV, chart=lambda m: None, ssl_context=smtp.client_context
    )
    dispatcher = Dispatcher(config, sqlite_engine, senders)
    smtp.mailbox.refuse = {"me@example.com": MAILBOX_FULL, "you@example.com": MAILBOX_FULL}

    first = dispatcher.dispatch_due(clock.now)
    with session_scope(sqlite_engine) as session:
        delivery = session.get(Delivery, delivery_id)
    too_soon = dispatcher.dispatch_due(clock.advance(seconds=1))
    smtp.mailbox.refuse = {}
    second = dispatcher.dispatch_due(clock.advance(seconds=10))

    assert (first.statuses, too_soon.statuses) == ({delivery_id: "pending"}, {})
    assert (delivery.last_status_code, delivery.attempts) == (450, 1)
    assert timedelta(seconds=3) <= delivery.next_attempt_at - delivery.last_attempt_at
    assert delivery.next_attempt_at - delivery.last_attempt_at <= timedelta(seconds=7)
    assert second.statuses == {delivery_id: "sent"}
    assert len(smtp.mailbox.messages) == 1
