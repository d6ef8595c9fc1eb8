"""Apprise channels against loopback receivers playing ntfy and Telegram's Bot API.

ntfy URLs take a host, so ``ntfy://127.0.0.1:PORT/topic`` reaches the receiver as it is. Apprise
fixes Telegram's host (``https://api.telegram.org``), so the Telegram test passes the sender an
``instantiate`` that builds the real Telegram plugin from the ``tgram://`` URL and points its
``notify_url`` at the receiver: the request is still the one Apprise makes (``sendPhoto`` with
the chart and the caption).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import apprise
import pytest
from sqlalchemy import select

from monitor.charts.data import alert_chart_renderer
from monitor.cli import run
from monitor.config import parse_config
from monitor.delivery.apprise_sender import AppriseSender
from monitor.delivery.dispatcher import Dispatcher, alert_charts
from monitor.delivery.senders import build_senders
from monitor.delivery.targets import delivery_targets, target_name
from monitor.store.database import session_scope
from monitor.store.models import Delivery
from tests.chart_pixels import mark_columns, width
from tests.delivery.conftest import SIGNAL_TOML, T0, probe_message, queue_event, store_signal
from tests.delivery.receiver import Receiver, Reply

URLS_ENV = "FIREALARM_TEST_APPRISE_URLS"
BOT_TOKEN = "123456789:AAbbCCddEEff_secret-token"


def apprise_config(extra: str = ""):
    return parse_config(
        SIGNAL_TOML
        + f"""
[channels.phone]
type = "apprise"
urls_env = "{URLS_ENV}"
timeout = 5
{extra}
"""
    )


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _dispatcher(config, engine, environ, **seams):
    senders = build_senders(
        config,
        environ=environ,
        chart=alert_charts(alert_chart_renderer(config, engine)),
        **seams,
    )
    return Dispatcher(config, engine, senders)


def _queue(config, engine, environ, **kwargs) -> list[str]:
    targets = delivery_targets(config, ["phone"], environ)
    return queue_event(engine, T0, channels=tuple(targets), **kwargs)


def _assert_marked_chart(png: bytes) -> None:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    columns = mark_columns(png)
    # The alert's date is the last date drawn: its line is at the right end of the plot.
    assert columns and min(columns) > 0.75 * width(png)


def test_ntfy_gets_the_alert_with_the_marked_chart_attached(receiver, sqlite_engine):
    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/markets"}
    config = apprise_config()
    store_signal(sqlite_engine)
    [delivery_id] = _queue(config, sqlite_engine, env)

    report = _dispatcher(config, sqlite_engine, env).dispatch_due(T0)

    assert report.statuses == {delivery_id: "sent"}
    [request] = receiver.requests
    url = urlsplit(request.path)
    query = parse_qs(url.query)
    assert url.path == "/markets"
    assert query["filename"] == ["btc_vs_ndx.png"]
    assert query["title"] == ["[FIRING:critical] btc_vs_ndx"]
    assert query["message"] == ["Bitcoin trails the Nasdaq-100 by -31.4 pp over 90 days"]
    _assert_marked_chart(request.body)
    with session_scope(sqlite_engine) as session:
        [channel] = session.scalars(select(Delivery.channel))
    assert channel == target_name("phone", env[URLS_ENV])
    assert channel.startswith("phone/ntfy-") and "markets" not in channel


def _loopback_telegram(receiver: Receiver):
    def instantiate(url: str):
        plugin = apprise.Apprise.instantiate(url)
        plugin.notify_url = f"http://127.0.0.1:{receiver.port}/bot"  # api.telegram.org is fixed
        return plugin

    return instantiate


def test_telegram_gets_the_chart_as_a_photo_with_the_alert_as_caption(receiver, sqlite_engine):
    receiver.default = Reply(200, body=b'{"ok":true,"result":{"message_id":1}}')
    env = {URLS_ENV: f"tgram://{BOT_TOKEN}/12315544/"}
    config = apprise_config()
    store_signal(sqlite_engine)
    [delivery_id] = _queue(config, sqlite_engine, env)

    dispatcher = _dispatcher(config, sqlite_engine, env, instantiate=_loopback_telegram(receiver))
    report = dispatcher.dispatch_due(T0)

    assert report.statuses == {delivery_id: "sent"}
    [request] = receiver.requests
    assert request.path == f"/bot{BOT_TOKEN}/sendPhoto"
    assert request.headers["content-type"].startswith("multipart/form-data")
    fields = _multipart(request)
    assert fields["chat_id"] == b"12315544"
    assert b"btc_vs_ndx" in fields["caption"] and b"-31.4 pp" in fields["caption"]
    _assert_marked_chart(fields["photo"])


def _multipart(request) -> dict[str, bytes]:
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"content-type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }


def test_one_dead_service_neither_blocks_nor_repeats_the_others(receiver, sqlite_engine):
    dead = Receiver()
    dead.default = Reply(503)
    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/ok ntfy://127.0.0.1:{dead.port}/down"}
    config = apprise_config()
    ok_id, down_id = _queue(config, sqlite_engine, env)
    dispatcher = _dispatcher(config, sqlite_engine, env)
    try:
        first = dispatcher.dispatch_due(T0)
        dead.default = Reply(200)
        second = dispatcher.dispatch_due(T0 + timedelta(minutes=1))
    finally:
        dead.close()

    assert first.statuses == {ok_id: "sent", down_id: "pending"}
    assert second.statuses == {down_id: "sent"}
    assert len(receiver.requests) == 1 and len(dead.requests) == 2
    with session_scope(sqlite_engine) as session:
        down = session.get_one(Delivery, down_id)
        assert down.attempts == 2


@pytest.mark.parametrize(
    ("reply", "outcome", "code"),
    [(Reply(500), "retry", 500), (Reply(429), "retry", 429), (Reply(400), "failed", 400)],
)
def test_the_status_apprise_logs_decides_retry_or_fail(receiver, reply, outcome, code):
    receiver.default = reply
    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/secret-topic-name"}
    result = _sender(env).send(probe_message("phone", T0), "msg_x", T0)
    assert (result.outcome, result.status_code) == (outcome, code)
    assert f"error={code}" in (result.error or "")
    assert "secret-topic-name" not in (result.error or "")


def test_connection_refused_is_retried(receiver):
    port = receiver.port
    receiver.close()
    env = {URLS_ENV: f"ntfy://127.0.0.1:{port}/t"}
    result = _sender(env).send(probe_message("phone", T0), "msg_x", T0)
    assert (result.outcome, result.status_code) == ("retry", None)


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({}, f"environment variable {URLS_ENV} holds no Apprise URL"),
        ({URLS_ENV: "nosuchservice://x/y"}, "not a valid Apprise URL"),
    ],
)
def test_bad_urls_fail_for_good_with_a_reason(env, error):
    result = _sender(env).send(probe_message("phone", T0), "msg_x", T0)
    assert result.outcome == "failed"
    assert error in (result.error or "")


def test_a_target_whose_url_left_the_environment_fails_naming_it(receiver):
    old = f"ntfy://127.0.0.1:{receiver.port}/old"
    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/new"}
    sender = AppriseSender(
        "phone", apprise_config().channels["phone"], env, lambda m: None,
        target=target_name("phone", old),
    )  # fmt: skip
    result = sender.send(probe_message("phone", T0), "msg_x", T0)
    assert result.outcome == "failed"
    assert "is no longer among the URLs" in (result.error or "")
    assert receiver.requests == []


def test_templates_shape_the_title_and_body(receiver, sqlite_engine):
    extra = (
        'title_template = "{{ rule | upper }} is {{ state }}"\n'
        "body_template = \"{{ signal }} at {{ '%.1f' | format(value) }} (limit {{ threshold }})"
        ' {{ url }}"'
    )
    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/t"}
    config = apprise_config(extra)
    [delivery_id] = _queue(config, sqlite_engine, env)
    report = _dispatcher(config, sqlite_engine, env).dispatch_due(T0)
    assert report.statuses == {delivery_id: "sent"}
    body = json.loads(receiver.requests[0].body)  # no chart stored: a JSON message
    assert body["title"] == "BTC_VS_NDX is firing"
    assert body["message"] == (
        "btc_vs_ndx at -31.4 (limit -25.0) http://127.0.0.1:8787/signals/btc_vs_ndx"
    )


def test_a_template_failing_at_send_time_fails_the_delivery(receiver, sqlite_engine):
    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/t"}
    config = apprise_config('body_template = "team {{ labels.team }}"')
    [delivery_id] = _queue(config, sqlite_engine, env)
    report = _dispatcher(config, sqlite_engine, env).dispatch_due(T0)
    assert report.statuses == {delivery_id: "failed"}
    with session_scope(sqlite_engine) as session:
        error = session.get_one(Delivery, delivery_id).last_error
    assert "template failed" in error and "team" in error
    assert receiver.requests == []


def _sender(env) -> AppriseSender:
    return AppriseSender("phone", apprise_config().channels["phone"], env, lambda m: None)


def test_notify_test_sends_to_every_url_of_the_channel(
    receiver, tmp_path, monkeypatch, capsys, sqlite_engine, sqlite_url
):
    config = tmp_path / "firealarm.toml"
    config.write_text(f'[channels.phone]\ntype = "apprise"\nurls_env = "{URLS_ENV}"\n')
    monkeypatch.setenv(
        URLS_ENV, f"ntfy://127.0.0.1:{receiver.port}/a\nntfy://127.0.0.1:{receiver.port}/b"
    )
    code = run(["--config", str(config), "--db", sqlite_url, "notify-test", "phone"])
    assert code == 0, capsys.readouterr().err
    paths = sorted(r.path for r in receiver.requests)
    assert paths == ["/", "/"]  # ntfy's JSON publish: the topic is in the body
    topics = sorted(json.loads(r.body)["topic"] for r in receiver.requests)
    assert topics == ["a", "b"]
    assert "phone: sent" in capsys.readouterr().err

    receiver.default = Reply(404)
    assert run(["--config", str(config), "--db", sqlite_url, "notify-test", "phone"]) == 1
    err = capsys.readouterr().err
    assert "phone: failed 404" in err and "error=404" in err


def _group(count: int):
    lead = probe_message("phone", T0)
    alerts = tuple(
        replace(lead, rule="DataStale", state="firing", summary=f"no new data for INST{n}")
        for n in range(count)
    )
    return replace(alerts[0], alerts=alerts, group_labels={"alertname": "DataStale"})


def test_a_group_notification_lists_every_alert(receiver):
    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/t"}
    assert _sender(env).send(_group(14), "msg_g", T0).outcome == "sent"
    body = json.loads(receiver.requests[0].body)
    assert body["title"] == "[FIRING:info] DataStale (14 alerts)"
    assert body["message"].splitlines() == [
        "no new data for INST0",
        *[f"• FIRING DataStale: no new data for INST{n}" for n in range(14)],
    ]


def test_a_long_group_is_cut_to_the_services_body_limit_saying_how_many_more(receiver):
    def small(url: str):
        plugin = apprise.Apprise.instantiate(url)
        plugin.body_maxlen = 200  # as small as a pager's
        return plugin

    env = {URLS_ENV: f"ntfy://127.0.0.1:{receiver.port}/t"}
    sender = AppriseSender(
        "phone", apprise_config().channels["phone"], env, lambda m: None, instantiate=small
    )
    assert sender.send(_group(14), "msg_g", T0).outcome == "sent"
    lines = json.loads(receiver.requests[0].body)["message"].splitlines()
    assert len("\n".join(lines)) <= 200
    assert lines[1] == "• FIRING DataStale: no new data for INST0"
    assert lines[-1] == f"… and {14 - (len(lines) - 2)} more"
