"""Bodies as sent, checked by their real consumers: ``slack_sdk``'s Block Kit models,
``discord.py``'s embeds, the ``standardwebhooks`` verifier and Alertmanager's message shape.

The bodies are captured by a loopback receiver from the real dispatcher and senders, for a
normal alert and for an adversarial one (a 5,000-character summary full of mentions, markup
and emoji, and a 260-character rule name).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import discord
import pytest
import standardwebhooks
from slack_sdk.models.blocks import Block

from monitor.config import parse_config
from monitor.delivery.limits import ELLIPSIS, text_length
from monitor.delivery.outbox import queue_deliveries
from monitor.store.database import session_scope
from monitor.store.models import AlertEvent
from tests.delivery.conftest import SECRET, SECRET_ENV, make_dispatcher

FORMATS = ("firealarm", "alertmanager", "slack", "discord")
NASTY = "<!channel> @everyone @here & <script>alert(1)</script> 🚨🔥 (< -10.0) "
ADVERSARIAL = {"rule": "r" + "x" * 259, "summary": (NASTY * 80)[:5000]}
NORMAL = {"rule": "btc_vs_ndx", "summary": "btc_vs_ndx: btc_vs_ndx = -31.40 (< -25.0)"}
V4_KEYS = {
    "version": str,
    "groupKey": str,
    "truncatedAlerts": int,
    "status": str,
    "receiver": str,
    "groupLabels": dict,
    "commonLabels": dict,
    "commonAnnotations": dict,
    "externalURL": str,
    "alerts": list,
}
V4_ALERT_KEYS = {
    "status": str,
    "labels": dict,
    "annotations": dict,
    "startsAt": str,
    "endsAt": str,
    "generatorURL": str,
    "fingerprint": str,
}
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _config(url: str):
    channels = "".join(
        f'[channels.{fmt}]\ntype = "webhook"\nurl = "{url}/{fmt}"\nformat = "{fmt}"\n'
        f'secret_env = "{SECRET_ENV}"\n\n'
        for fmt in FORMATS
    )
    return parse_config(
        f"[alerts]\ndefault_channels = {json.dumps(list(FORMATS))}\n"
        f'external_url = "https://alerts.example.com"\n\n{channels}'
    )


def _capture(engine, receiver, client, now: datetime, rule: str, summary: str) -> dict[str, bytes]:
    """Queue one firing event for every format, dispatch it, return format → body received."""
    config = _config(receiver.url.removesuffix("/hook"))
    with session_scope(engine) as session:
        event = AlertEvent(
            rule=rule,
            fingerprint="9f" * 32,
            state="firing",
            reason="first firing",
            date=date(2026, 3, 2),
            signal="btc_vs_ndx",
            value=-31.4,
            threshold=-25.0,
            severity="critical",
            labels=json.dumps({"stage": "1"}),
            summary=summary,
            recorded_at=now,
        )
        session.add(event)
        queue_deliveries(session, event, list(FORMATS), now)
    report = make_dispatcher(config, engine, client).dispatch_due(now)
    assert set(report.statuses.values()) == {"sent"}
    return {r.path.rsplit("/", 1)[1]: r for r in receiver.requests}


@pytest.fixture(params=[NORMAL, ADVERSARIAL], ids=["normal", "adversarial"])
def captured(request, sqlite_engine, receiver, http_client, clock):
    clock.now = datetime.now(UTC).replace(microsecond=0)  # standardwebhooks checks the time
    return request.param, _capture(sqlite_engine, receiver, http_client, clock.now, **request.param)


def test_slack_body_passes_block_kit_validation_with_no_live_mention(captured):
    alert, received = captured
    body = json.loads(received["slack"].body)
    assert text_length(body["text"]) <= 40_000 and len(body["blocks"]) <= 50
    for raw in body["blocks"]:
        block = Block.parse(raw)
        block.validate_json()  # raises on any Block Kit limit
        assert block.to_dict() == raw  # nothing the models do not know
    mrkdwn = [body["text"], *_slack_texts(body["blocks"])]
    assert not any("<!" in text or "<script" in text for text in mrkdwn)
    header, summary = body["blocks"][0]["text"]["text"], body["blocks"][1]["text"]["text"]
    assert text_length(header) <= 150 and text_length(summary) <= 3000
    if alert is ADVERSARIAL:
        assert summary.startswith("&lt;!channel&gt; @everyone @here &amp; &lt;script&gt;")
        assert summary.endswith(ELLIPSIS) and header.endswith(ELLIPSIS)
        assert not re.search(r"&[a-z]*…$", summary)  # never cut inside an entity
    else:
        assert summary == "btc_vs_ndx: btc_vs_ndx = -31.40 (&lt; -25.0)"


def _slack_texts(blocks: list[dict]) -> list[str]:
    texts = []
    for block in blocks:
        objects = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        texts += [o["text"] for o in objects if o and o["type"] == "mrkdwn"]
    return [t for t in texts if not re.fullmatch(r"<https://[^<>|]+\|dashboard>", t)]


def test_discord_body_passes_embed_parsing_within_limits_mentioning_no_one(captured):
    alert, received = captured
    body = json.loads(received["discord"].body)
    assert body["allowed_mentions"] == discord.AllowedMentions.none().to_dict()
    assert text_length(body["content"]) <= 2000
    [raw] = body["embeds"]
    embed = discord.Embed.from_dict(raw)
    assert len(embed) <= 6000  # discord.py's count of Discord's total
    assert len(embed.title) <= 256 and len(embed.description) <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)
    assert len(embed.footer.text) <= 2048
    assert embed.title.startswith(f"[FIRING:critical] {alert['rule'][:100]}")
    if alert is ADVERSARIAL:
        assert embed.description.endswith(ELLIPSIS) and embed.title.endswith(ELLIPSIS)
        assert text_length(embed.description) <= 4096
    else:
        assert embed.description == alert["summary"]


def test_native_body_verifies_with_standardwebhooks_and_keeps_the_full_summary(captured):
    alert, received = captured
    got = received["firealarm"]
    payload = standardwebhooks.Webhook(SECRET).verify(got.body, got.headers)
    assert payload["data"]["summary"] == alert["summary"]  # the full text is never cut here
    assert payload["data"]["rule"] == alert["rule"]


def test_alertmanager_body_has_exactly_the_webhook_message_fields(captured):
    alert, received = captured
    body = json.loads(received["alertmanager"].body)
    _strict(body, V4_KEYS)
    assert body["version"] == "4" and body["status"] in ("firing", "resolved")
    for alert_body in body["alerts"]:
        _strict(alert_body, V4_ALERT_KEYS)
        for labels in (alert_body["labels"], alert_body["annotations"]):
            assert all(LABEL_NAME.match(k) and isinstance(v, str) for k, v in labels.items())
        for moment in ("startsAt", "endsAt"):
            assert datetime.fromisoformat(alert_body[moment]).tzinfo is not None
        assert alert_body["labels"]["alertname"] == alert["rule"]
        assert alert_body["annotations"]["summary"] == alert["summary"]


def _strict(body: dict, keys: dict[str, type]) -> None:
    """Like Go's decoder with unknown fields disallowed: exactly these keys, of these types."""
    assert set(body) == set(keys)
    assert all(isinstance(body[k], t) and not isinstance(body[k], bool) for k, t in keys.items())
