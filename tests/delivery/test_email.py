"""Email to a real SMTP server on loopback (aiosmtpd): STARTTLS, implicit TLS, AUTH from env."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from monitor.charts.data import alert_chart_renderer
from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher, alert_charts
from monitor.delivery.email import EmailSender, build_email, subject
from monitor.delivery.limits import ELLIPSIS, text_length
from monitor.delivery.senders import build_senders
from monitor.store.database import session_scope
from monitor.store.models import Delivery
from tests.chart_pixels import mark_columns, width
from tests.delivery.conftest import SIGNAL_TOML, T0, probe_message, queue_event, store_signal
from tests.delivery.smtp_server import SmtpServer

# aiosmtpd counts only STARTTLS as TLS; under implicit TLS it warns that AUTH lacks TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "alerts@example.com", "s3cret-smtp-pass"
ENV = {"TEST_SMTP_USER": USER, "TEST_SMTP_PASSWORD": PASSWORD}


def email_config(port: int, security: str, external_url: str | None = None):
    alerts = f'[alerts]\nexternal_url = "{external_url}"\n' if external_url else ""
    return parse_config(
        alerts
        + SIGNAL_TOML
        + f"""
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


def test_alert_email_has_text_html_inline_chart_and_dashboard_link(smtp, sqlite_engine, clock):
    config = email_config(smtp.port, smtp.security, "https://alerts.example.com/fa/")
    store_signal(sqlite_engine)
    [delivery_id] = queue_event(sqlite_engine, clock.now, channels=("team",))
    senders = build_senders(
        config,
        environ=ENV,
        chart=alert_charts(alert_chart_renderer(config, sqlite_engine)),
        ssl_context=smtp.client_context,
    )
    report = Dispatcher(config, sqlite_engine, senders).dispatch_due(clock.now)

    assert report.statuses == {delivery_id: "sent"}
    [message] = smtp.mailbox.messages
    assert smtp.mailbox.envelopes == [
        ("firealarm@example.com", ["me@example.com", "you@example.com"])
    ]
    assert message["Subject"].startswith("[FIRING:critical] btc_vs_ndx: Bitcoin trails")
    assert message["Message-ID"] == f"<{delivery_id}@alerts.example.com>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    assert "Threshold: -25" in text and "Value: -31.4" in text
    html_part = message.get_body(("html",))
    related = message.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    png = image.get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    columns = mark_columns(png)  # the alert's date, the last drawn, marked at the right end
    assert columns and min(columns) > 0.75 * width(png)
    cid = image["Content-ID"].strip("<>")
    assert f"cid:{cid}" in html_part.get_content()
    assert image.get_content_disposition() == "inline"  # shown in the HTML, not an attachment
    link = "https://alerts.example.com/fa/signals/btc_vs_ndx"
    assert f"<a href='{link}'>btc_vs_ndx on the dashboard</a>" in html_part.get_content()
    assert f"Dashboard: {link}" in text
    with session_scope(sqlite_engine) as session:
        assert session.scalar(select(Delivery.last_status_code)) == 250


def _sender(smtp: SmtpServer, environ: dict[str, str], port: int | None = None) -> EmailSender:
    config = email_config(port or smtp.port, smtp.security)
    channel = config.channels["team"]
    return EmailSender("team", channel, environ, lambda m: None, smtp.client_context)


def test_wrong_password_fails_without_leaking_it(smtp, clock):
    result = _sender(smtp, {**ENV, "TEST_SMTP_PASSWORD": "wrong-pass"}).send(
        probe_message("team", clock.now), "msg_x", clock.now
    )
    assert (result.outcome, result.status_code) == ("failed", 535)
    assert "wrong-pass" not in (result.error or "")
    assert smtp.mailbox.messages == []


def test_missing_credentials_variable_is_named(smtp, clock):
    result = _sender(smtp, {"TEST_SMTP_USER": USER}).send(
        probe_message("team", clock.now), "msg_x", clock.now
    )
    assert result.outcome == "failed"
    assert result.error == "smtp credentials: environment variable TEST_SMTP_PASSWORD is not set"


def test_server_down_is_retried(smtp, clock):
    from tests.delivery.smtp_server import free_port

    result = _sender(smtp, ENV, port=free_port()).send(
        probe_message("team", clock.now), "msg_x", clock.now
    )
    assert result.outcome == "retry"
    assert "ConnectionRefusedError" in (result.error or "")


def test_untrusted_certificate_fails(smtp, clock):
    config = email_config(smtp.port, smtp.security)
    sender = EmailSender("team", config.channels["team"], ENV, lambda m: None)  # system CAs
    result = sender.send(probe_message("team", clock.now), "msg_x", clock.now)
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
    result = _sender(smtp, ENV).send(probe_message("team", clock.now), "msg_x", clock.now)
    assert (result.outcome, result.status_code) == (outcome, code)
    assert "me@example.com" in (result.error or "") and str(code) in (result.error or "")
    assert smtp.mailbox.messages == []


@pytest.mark.parametrize("refusal", [NO_SUCH_USER, MAILBOX_FULL])
def test_some_recipients_refused_is_sent_to_the_others_and_names_the_refused(smtp, clock, refusal):
    smtp.mailbox.refuse = {"you@example.com": refusal}
    result = _sender(smtp, ENV).send(probe_message("team", clock.now), "msg_x", clock.now)
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


SUMMARIES = st.lists(
    st.sampled_from(["<!channel>", "(< -10.0)", "@everyone", "&", "🚀", "🔥🔥", "é", "x" * 75])
    | st.text(max_size=30),
    max_size=12,
).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(summary=SUMMARIES)
def test_subject_is_one_valid_header_whatever_the_summary(summary):
    message = replace(probe_message("team", T0), summary=summary)
    raw = build_email(message, _channel(), "msg_x", []).as_bytes()
    lines = _header_lines(raw, b"Subject")
    assert all(line.isascii() and len(line) <= 78 for line in lines)
    assert lines[0].removeprefix(b"Subject:").strip()  # not folded on an empty first line
    assert all(line.strip() for line in lines) and b"??=" not in b"".join(lines)
    assert "\n" not in subject(message) and text_length(subject(message)) <= 200
    unfolded = b"".join(lines).decode().removeprefix("Subject:").strip()
    assert str(make_header(decode_header(unfolded))) == subject(message)  # parser one
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Subject"] == subject(message)  # and parser two
    whole = " ".join(f"[TEST:info] firealarm_test: {summary}".split())
    assert whole.startswith(subject(message).removesuffix(ELLIPSIS))


@pytest.mark.parametrize(
    ("external_url", "domain"),
    [
        (None, "firealarm.invalid"),
        ("http://alerts:8787", "firealarm.invalid"),  # a name with no dot is not a domain
        ("https://alerts.example.com/fa", "alerts.example.com"),
    ],
)
def test_message_id_is_on_a_dotted_domain(external_url, domain):
    message = probe_message("team", T0)
    email = build_email(message, _channel(), "msg_x", [(message.signal, b"png")], external_url)
    assert email["Message-ID"] == f"<msg_x@{domain}>"
    image = next(p for p in email.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"].endswith(f"@{domain}>")
    assert image.get_content_disposition() == "inline"
    html_part = email.get_body(("html",)).get_content()
    assert ("on the dashboard</a>" in html_part) == (external_url is not None)


def _channel():
    return email_config(2525, "starttls").channels["team"]


def _header_lines(raw: bytes, name: bytes) -> list[bytes]:
    """The raw lines of header ``name``: its first line and its continuation lines."""
    head = raw.split(b"\n\n", 1)[0].split(b"\n")
    start = next(i for i, line in enumerate(head) if line.startswith(name + b":"))
    end = next((i for i in range(start + 1, len(head)) if not head[i][:1].isspace()), len(head))
    return [line.rstrip(b"\r") for line in head[start:end]]


def test_a_refusal_with_terminal_escapes_is_stored_and_printed_without_them(
    smtp, sqlite_engine, clock, capsys
):
    from monitor.cli.output import Format, emit

    config = email_config(smtp.port, smtp.security)
    [delivery_id] = queue_event(sqlite_engine, clock.now, channels=("team",))
    senders = build_senders(
        config, environ=ENV, chart=lambda m: None, ssl_context=smtp.client_context
    )
    hostile = "450 4.2.2 \x1b]0;pwned\x07\x1b[2J\x1b[31mmailbox full\x1b[0m"
    smtp.mailbox.refuse = {"me@example.com": hostile, "you@example.com": hostile}
    Dispatcher(config, sqlite_engine, senders).dispatch_due(clock.now)
    with session_scope(sqlite_engine) as session:
        delivery = session.get(Delivery, delivery_id)
    assert delivery.last_status_code == 450
    assert "mailbox full" in delivery.last_error
    assert delivery.last_error.isprintable()
    emit([{"error": "raw \x1b[31mtext\x1b[0m stored earlier"}], ["error"], Format.table)
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "stored earlier" in printed


def test_a_group_email_shows_one_inline_chart_per_signal_it_lists():
    first = probe_message("team", T0)
    same = replace(first, rule="other_rule_same_signal")
    other = replace(first, rule="btc_drawdown", signal="btc_drawdown")
    group = replace(first, alerts=(first, same, other), group_labels={"alertname": "x"})
    drawn: list[str] = []

    def chart(message):
        drawn.append(message.signal)
        return f"png of {message.signal}".encode()

    sender = EmailSender("team", _channel(), {}, chart, None)
    charts = sender._charts(group)
    assert drawn == [first.signal, "btc_drawdown"]  # one per signal, in the order listed
    email = build_email(group, _channel(), "msg_g", charts)
    images = [p for p in email.walk() if p.get_content_type() == "image/png"]
    assert [p.get_content() for p in images] == [f"png of {s}".encode() for s in drawn]
    assert all(p.get_content_disposition() == "inline" for p in images)
    html_part = email.get_body(("html",)).get_content()
    assert all(f"cid:{p['Content-ID'][1:-1]}" in html_part for p in images)
