"""Channel templates: the README's custom webhook body, refused templates, chat charts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from email.parser import BytesParser
from email.policy import HTTP

import pytest
from sqlalchemy import select

from monitor.charts.data import alert_chart_renderer
from monitor.cli import run
from monitor.config import parse_config
from monitor.delivery.dispatcher import Dispatcher, alert_charts
from monitor.delivery.senders import build_senders
from monitor.delivery.templates import render, template_context
from monitor.errors import ConfigError
from monitor.store.database import session_scope
from monitor.store.models import Delivery
from tests.chart_pixels import mark_columns
from tests.delivery.conftest import (
    SECRET,
    SECRET_ENV,
    SIGNAL_TOML,
    T0,
    make_dispatcher,
    probe_message,
    queue_event,
    store_signal,
)
from tests.delivery.readme_code import README
from tests.delivery.receiver import Receiver
from tests.delivery.smtp_server import SmtpServer

MARKER = "<!-- custom-webhook:"


def _readme_example() -> tuple[str, dict]:
    """The README's custom channel (TOML) and the JSON it says a firing alert becomes."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index(MARKER) :]
    toml = re.search(r"```toml\n(.*?)```", after, re.DOTALL)
    body = re.search(r"```json\n(.*?)```", after, re.DOTALL)
    assert toml and body, "README: no toml and json blocks after the custom-webhook marker"
    return toml[1], json.loads(body[1])


def test_custom_body_is_the_readme_json_signed_as_sent(receiver, sqlite_engine):
    channel, expected = _readme_example()
    channel = channel.replace("https://hooks.example.com/markets", receiver.url)
    config = parse_config(channel + f'secret_env = "{SECRET_ENV}"\n')
    [delivery_id] = queue_event(sqlite_engine, T0, channels=("grafana",))
    report = make_dispatcher(config, sqlite_engine).dispatch_due(T0)

    assert report.statuses == {delivery_id: "sent"}
    [request] = receiver.requests
    assert request.signature_ok is True
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == expected


def _custom(url: str, template: str):
    return parse_config(
        f"""
[channels.hook]
type = "webhook"
url = "{url}"
format = "custom"
secret_env = "{SECRET_ENV}"
body_template = '''{template}'''
"""
    )


def test_a_body_that_is_not_json_fails_the_delivery_with_the_reason(receiver, sqlite_engine):
    config = _custom(receiver.url, "rule={{ rule }}")
    [delivery_id] = queue_event(sqlite_engine, T0)
    dispatcher = make_dispatcher(config, sqlite_engine)
    report = dispatcher.dispatch_due(T0)
    assert report.statuses == {delivery_id: "failed"}
    assert receiver.requests == []
    [row] = _deliveries(sqlite_engine)
    assert row.last_error.startswith("body_template did not render JSON: Expecting value")


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{{ rule ", "channel 'hook': body_template: syntax error on line 1"),
        ('{"a": {{ nope }}}', "channel 'hook': body_template: unknown variable nope"),
    ],
)
def test_broken_templates_are_refused_when_the_config_loads(template, error):
    with pytest.raises(ConfigError, match=re.escape(error)):
        _custom("http://127.0.0.1:9/hook", template)


def test_custom_format_needs_a_body_template():
    with pytest.raises(ConfigError, match="format 'custom' needs a 'body_template'"):
        parse_config('[channels.hook]\ntype = "webhook"\nurl = "http://x/"\nformat = "custom"\n')


def test_the_cli_exits_2_naming_the_channel(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text(
        '[channels.phone]\ntype = "apprise"\nurls_env = "X"\ntitle_template = "{% if %}"\n'
    )
    code = run(["--config", str(config), "notify-test", "phone"])
    err = capsys.readouterr().err
    assert code == 2
    assert "channel 'phone': title_template: syntax error" in err
    assert "Traceback" not in err


@pytest.fixture
def receiver(clock):
    server = Receiver(secret=SECRET)
    server.clock = clock.timestamp
    yield server
    server.close()


def _deliveries(engine):
    with session_scope(engine) as session:
        return list(session.scalars(select(Delivery)))


def test_discord_uploads_the_chart_and_shows_it_in_the_embed(receiver, sqlite_engine):
    config = parse_config(
        f"""
[channels.chat]
type = "webhook"
url = "{receiver.url}"
format = "discord"
secret_env = "{SECRET_ENV}"
"""
    )
    store_signal(sqlite_engine)
    [delivery_id] = queue_event(sqlite_engine, T0, channels=("chat",))
    chart = alert_charts(alert_chart_renderer(parse_config(SIGNAL_TOML), sqlite_engine))
    senders = build_senders(config, environ={SECRET_ENV: SECRET}, chart=chart)
    report = Dispatcher(config, sqlite_engine, senders).dispatch_due(T0)

    assert report.statuses == {delivery_id: "sent"}
    [request] = receiver.requests
    assert request.signature_ok is True  # the multipart bytes are the signed bytes
    head = f"content-type: {request.headers['content-type']}\r\n\r\n".encode()
    form = BytesParser(policy=HTTP).parsebytes(head + request.body)
    parts = {p.get_param("name", header="content-disposition"): p for p in form.iter_parts()}
    payload = json.loads(parts["payload_json"].get_payload(decode=True))
    assert payload["embeds"][0]["image"] == {"url": "attachment://btc_vs_ndx.png"}
    assert payload["attachments"] == [{"id": 0, "filename": "btc_vs_ndx.png"}]
    assert payload["embeds"][0]["title"] == "[FIRING:critical] btc_vs_ndx"
    upload = parts["files[0]"]
    assert upload.get_filename() == "btc_vs_ndx.png"
    assert upload.get_content_type() == "image/png"
    assert mark_columns(upload.get_payload(decode=True))


def test_discord_without_a_chart_stays_json(receiver, sqlite_engine):
    config = parse_config(
        f'[channels.chat]\ntype = "webhook"\nurl = "{receiver.url}"\nformat = "discord"\n'
        f'secret_env = "{SECRET_ENV}"\n'
    )
    [delivery_id] = queue_event(sqlite_engine, T0, channels=("chat",))
    report = make_dispatcher(config, sqlite_engine).dispatch_due(T0)
    assert report.statuses == {delivery_id: "sent"}
    assert receiver.requests[0].headers["content-type"] == "application/json"
    assert "attachments" not in json.loads(receiver.requests[0].body)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_takes_the_title_as_subject_and_the_body_lines_as_text(sqlite_engine):
    smtp = SmtpServer(security="tls", username="u@example.com", password="pw")
    try:
        config = parse_config(
            f"""
[channels.team]
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
security = "tls"
username_env = "U"
password_env = "P"
from = "firealarm@example.com"
to = ["me@example.com"]
title_template = '''{{{{ signal }}}}:
  {{{{ state }}}}'''
body_template = "Value {{{{ value }}}}\\nThreshold {{{{ threshold }}}}"
"""
        )
        [delivery_id] = queue_event(sqlite_engine, T0, channels=("team",))
        senders = build_senders(
            config,
            environ={"U": "u@example.com", "P": "pw"},
            chart=lambda m: None,
            ssl_context=smtp.client_context,
        )
        report = Dispatcher(config, sqlite_engine, senders).dispatch_due(T0)
    finally:
        smtp.stop()
    assert report.statuses == {delivery_id: "sent"}
    [email] = smtp.mailbox.messages
    assert email["Subject"] == "btc_vs_ndx: firing"  # the title, on one line
    text = email.get_body(("plain",)).get_content()
    assert text.startswith("Value -31.4\r\nThreshold -25.0\r\n")


def test_a_group_notification_gives_templates_every_alert_and_the_group_labels():
    first = probe_message("hook", T0)
    second = replace(first, rule="DataStale", summary="IGV stale", labels={"instrument": "IGV"})
    group = replace(first, alerts=(first, second), group_labels={"alertname": "DataStale"})
    source = (
        "{{ group_labels.get('alertname', '') }}:"
        "{% for a in alerts %} {{ a.rule }}={{ a.summary }}{% endfor %}"
    )
    config = parse_config(
        '[channels.c]\ntype = "email"\nsmtp_host = "x"\nfrom = "a@b.c"\nto = ["d@e.f"]\n'
        f'body_template = "{source}"\n'
    )
    assert config.channels["c"].body_template == source  # known variables: accepted at load
    text = render(source, template_context(group, "c", "http://127.0.0.1:8787"))
    assert text == f"DataStale: {first.rule}={first.summary} DataStale=IGV stale"
    alone = render(source, template_context(first, "c", "http://127.0.0.1:8787"))
    assert alone == f": {first.rule}={first.summary}"  # a single alert lists itself
