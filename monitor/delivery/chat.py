"""Chat incoming-webhook bodies: Slack (text + Block Kit blocks) and Discord (content + embeds).

Every text goes through :mod:`monitor.delivery.limits`, so a body is within its consumer's
limits and a summary cannot mention anyone, whatever the rule's summary says.
"""

from __future__ import annotations

from typing import Any

from monitor.delivery.limits import (
    DISCORD_CONTENT,
    DISCORD_NO_MENTIONS,
    SLACK_FIELD,
    SLACK_TEXT,
    discord_embeds,
    slack_blocks,
    slack_escape,
    slack_mrkdwn,
    slack_plain,
    truncate,
)
from monitor.delivery.message import AlertMessage, signal_url

# Discord embed colours by severity (and green for resolved).
COLOURS = {"critical": 0xD32F2F, "warning": 0xF9A825, "info": 0x1976D2, "resolved": 0x2E7D32}
ICONS = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}


def headline(message: AlertMessage) -> str:
    """One line: state, severity and rule, e.g. ``[FIRING:critical] btc_vs_ndx`` (or the title);
    a group notification adds how many alerts it lists: ``[FIRING:warning] DataStale (14 alerts)``.
    """
    if message.title:
        return message.title
    count = len(message.members)
    more = f" ({count} alerts)" if count > 1 else ""
    return f"[{message.state.upper()}:{message.severity}] {message.rule}{more}"


def alert_lines(message: AlertMessage) -> list[str]:
    """One line per alert a group notification lists (empty for a single alert)."""
    if len(message.members) < 2:
        return []
    return [f"{alert.state.upper()} {alert.rule}: {alert.summary}" for alert in message.members]


def _facts(message: AlertMessage) -> list[tuple[str, str]]:
    value = "n/a" if message.value is None else f"{message.value:.4g}"
    return [
        ("Signal", message.signal),
        ("Value", value),
        ("Threshold", f"{message.threshold:.4g}"),
        ("Date", message.date.isoformat()),
    ]


def slack_body(message: AlertMessage, receiver: str, external_url: str) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (the fallback) and ``blocks``."""
    icon = ":white_check_mark:" if message.resolved else ICONS.get(message.severity, "")
    text = f"{icon} {headline(message)}: {message.summary}".strip()
    # Incoming webhooks cannot upload the chart: link the signal's chart on the dashboard.
    link = f"<{slack_escape(signal_url(external_url, message.signal))}|dashboard>"
    return {
        "text": slack_mrkdwn(text, SLACK_TEXT)["text"],
        "blocks": slack_blocks(
            [
                {"type": "header", "text": slack_plain(headline(message))},
                {"type": "section", "text": slack_mrkdwn(message.summary or "-")},
                {
                    "type": "section",
                    "fields": [
                        slack_mrkdwn(f"*{name}*\n{value}", SLACK_FIELD)
                        for name, value in _facts(message)
                    ],
                },
                *_slack_list(message),
                {
                    "type": "context",
                    "elements": [
                        slack_mrkdwn(f"firealarm · {message.fingerprint} · {receiver}"),
                        {"type": "mrkdwn", "text": link},
                    ],
                },
            ]
        ),
    }


def _slack_list(message: AlertMessage) -> list[dict[str, Any]]:
    lines = alert_lines(message)
    if not lines:
        return []
    text = "\n".join(f"• {line}" for line in lines)
    return [{"type": "section", "text": slack_mrkdwn(text)}]


def discord_body(message: AlertMessage, receiver: str, external_url: str) -> dict[str, Any]:
    """A Discord webhook message: ``content`` and one embed, mentioning no one."""
    colour = COLOURS["resolved"] if message.resolved else COLOURS.get(message.severity, 0)
    embed = {
        "title": headline(message),
        "description": "\n".join([message.summary or "-", *alert_lines(message)]),
        "color": colour,
        "fields": [
            {"name": name, "value": value, "inline": True} for name, value in _facts(message)
        ],
        "footer": {"text": f"firealarm · {receiver}"},
        "timestamp": message.timestamp.isoformat(),
    }
    return {
        "content": truncate(headline(message), DISCORD_CONTENT),
        "allowed_mentions": DISCORD_NO_MENTIONS,
        "embeds": discord_embeds([embed]),
    }
