"""Secrets (signing secret, SMTP password) never reach logs, error messages or the database."""

from __future__ import annotations

import base64
import logging

from sqlalchemy import MetaData, select

from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.senders import build_senders
from monitor.store.database import session_scope
from tests.delivery.conftest import SECRET, SECRET_ENV, queue_event
from tests.delivery.receiver import Receiver, Reply
from tests.delivery.smtp_server import SmtpServer, free_port

SMTP_PASSWORD = "hunter2-very-secret"
URL_TOKEN = "xoxb-url-token-0123"  # a Slack-style webhook URL is itself a credential


def _database_text(engine) -> str:
    metadata = MetaData()
    metadata.reflect(engine)
    with session_scope(engine) as session:
        return "\n".join(
            repr(row) for table in metadata.sorted_tables for row in session.execute(select(table))
        )


def test_secrets_stay_out_of_logs_errors_and_db(engine, clock, caplog):
    smtp = SmtpServer(security="starttls", username="bot", password="other-password")
    receiver = Receiver(secret=SECRET)
    receiver.clock = clock.timestamp
    receiver.script.append(Reply(500))
    config = parse_config(
        f"""
[channels.hook]
type = "webhook"
url_env = "HOOK_URL"
secret_env = "{SECRET_ENV}"

[channels.down]
type = "webhook"
url = "http://127.0.0.1:{free_port()}/hook"
secret_env = "{SECRET_ENV}"

[channels.mail]
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
username_env = "SMTP_USER"
password_env = "SMTP_PASSWORD"
from = "a@example.com"
to = ["b@example.com"]
"""
    )
    environ = {
        SECRET_ENV: SECRET,
        "SMTP_USER": "bot",
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "HOOK_URL": f"{receiver.url}/services/T0/B0/{URL_TOKEN}",
    }
    senders = build_senders(
        config,
        environ=environ,
        chart=lambda m: None,
        ssl_context=smtp.client_context,
    )
    dispatcher = Dispatcher(config, engine, senders)
    queue_event(engine, clock.now, channels=("hook", "down", "mail"))
    try:
        with caplog.at_level(logging.DEBUG):
            first = dispatcher.dispatch_due(clock.now)
            second = dispatcher.dispatch_due(clock.advance(minutes=1))
    finally:
        smtp.stop()
        receiver.close()

    assert sorted(first.statuses.values()) == ["failed", "pending", "pending"]  # 535, 500, down
    assert "sent" in second.statuses.values()
    key_b64 = SECRET.removeprefix("whsec_")
    key_hex = base64.b64decode(key_b64).hex()
    stored = _database_text(engine)
    assert "535" in stored and "HTTP 500" in stored and "ConnectError" in stored
    assert "delivery.sent msg_" in caplog.text  # attempts were logged
    for secret in (SECRET, key_b64, key_hex, SMTP_PASSWORD, URL_TOKEN):
        assert secret not in caplog.text
        assert secret not in stored
