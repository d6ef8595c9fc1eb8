"""Each consumer's documented size limits and escaping, applied by construction.

A text over its limit is cut and ends in an ellipsis: an alert is never refused for its size
(the full text stays in the stored event and on the dashboard). Lengths are counted in UTF-16
code units, what JavaScript consumers count and never less than the code points others count,
so a text within a limit here is within it for every consumer (an emoji counts two).

Slack (Block Kit): message ``text`` 40,000; section text 3,000; section fields 10 x 2,000;
header 150; context 10 elements; 50 blocks. Discord: ``content`` 2,000; per embed title 256,
description 4,096, 25 fields of name 256 / value 1,024, footer 2,048, author 256; 10 embeds
and 6,000 characters over all of them. PagerDuty Events v2: ``summary`` 1,024, the whole event
512 KB. Apprise: each service's own ``body_maxlen`` (Telegram 4,096, Pushover 1,024...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

ELLIPSIS = "…"

SLACK_TEXT = 40_000
SLACK_SECTION = 3_000
SLACK_FIELD = 2_000
SLACK_FIELDS = 10
SLACK_HEADER = 150
SLACK_CONTEXT_ELEMENTS = 10
SLACK_BLOCKS = 50

DISCORD_CONTENT = 2_000
DISCORD_TITLE = 256
DISCORD_DESCRIPTION = 4_096
DISCORD_FIELDS = 25
DISCORD_FIELD_NAME = 256
DISCORD_FIELD_VALUE = 1_024
DISCORD_FOOTER = 2_048
DISCORD_AUTHOR = 256
DISCORD_EMBEDS = 10
DISCORD_TOTAL = 6_000
PAGERDUTY_SUMMARY = 1_024
PAGERDUTY_EVENT_BYTES = 512 * 1_024
# Mentions in the content are never parsed: a summary saying @everyone pings nobody.
DISCORD_NO_MENTIONS: dict[str, list[str]] = {"parse": []}


def text_length(text: str) -> int:
    """``text``'s length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _same(text: str) -> str:
    return text


def truncate(text: str, limit: int, escape: Callable[[str], str] = _same) -> str:
    """``escape(text)``, cut to at most ``limit`` units ending in an ellipsis if it was longer.

    Cut between characters of the source text, so no escape sequence is split.
    """
    escaped = escape(text)
    if text_length(escaped) <= limit:
        return escaped
    budget, used, pieces = limit - text_length(ELLIPSIS), 0, []
    for char in text:
        piece = escape(char)
        used += text_length(piece)
        if used > budget:
            break
        pieces.append(piece)
    return "".join(pieces) + ELLIPSIS


def listed(lines: Sequence[str], limit: int) -> str:
    """``lines``, one a line, within ``limit`` units: whole lines while they fit, then one
    saying how many were left out (``… and 12 more``). A first line too long is cut."""
    whole = "\n".join(lines)
    if text_length(whole) <= limit:
        return whole
    room = limit - text_length(f"\n{ELLIPSIS} and {len(lines)} more")
    kept: list[str] = []
    used = 0
    for line in lines:
        used += text_length(line) + (1 if kept else 0)
        if used > room:
            break
        kept.append(line)
    if not kept:
        return truncate("\n".join(lines), limit)
    return "\n".join([*kept, f"{ELLIPSIS} and {len(lines) - len(kept)} more"])


def slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters as entities: ``<!channel>`` is then just text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mrkdwn(text: str, limit: int = SLACK_SECTION) -> dict[str, str]:
    """A Slack ``mrkdwn`` text object of escaped ``text`` within ``limit``."""
    return {"type": "mrkdwn", "text": truncate(text, limit, slack_escape)}


def slack_plain(text: str, limit: int = SLACK_HEADER) -> dict[str, str]:
    """A Slack ``plain_text`` object (never parsed for mentions or links) within ``limit``."""
    return {"type": "plain_text", "text": truncate(text, limit)}


def slack_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most 50 blocks; when cut, the last one says how many were left out."""
    if len(blocks) <= SLACK_BLOCKS:
        return blocks
    kept = blocks[: SLACK_BLOCKS - 1]
    note = f"{len(blocks) - len(kept)} more blocks left out (Slack's limit)"
    return [*kept, {"type": "context", "elements": [slack_mrkdwn(note)]}]


def discord_embeds(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``embeds`` within Discord's per-field limits and its 6,000-character total.

    Texts take from the total in reading order, so what comes last is cut first: a message
    of several alerts keeps its first ones whole. Fields and embeds left empty are dropped.
    """
    budget = _Budget(DISCORD_TOTAL)
    capped = [_discord_embed(embed, budget) for embed in embeds[:DISCORD_EMBEDS]]
    return [e for e in capped if e.get("title") or e.get("description") or e.get("fields")]


class _Budget:
    """What is left of a total shared by several texts."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, text: str, limit: int) -> str:
        """``text`` within ``limit`` and what is left ("" once nothing is)."""
        room = min(limit, self.left)
        cut = truncate(text, room) if room > 0 else ""
        self.left -= text_length(cut)
        return cut


def _discord_embed(embed: dict[str, Any], budget: _Budget) -> dict[str, Any]:
    capped = dict(embed)
    for key, limit in (("title", DISCORD_TITLE), ("description", DISCORD_DESCRIPTION)):
        if key in capped:
            _set_or_drop(capped, key, budget.take(capped[key], limit))
    fields = []
    for field in capped.pop("fields", [])[:DISCORD_FIELDS]:
        name = budget.take(field["name"], DISCORD_FIELD_NAME)
        value = budget.take(field["value"], DISCORD_FIELD_VALUE)
        if name and value:
            fields.append({**field, "name": name, "value": value})
    if fields:
        capped["fields"] = fields
    for key, name, limit in (
        ("footer", "text", DISCORD_FOOTER),
        ("author", "name", DISCORD_AUTHOR),
    ):
        if key in capped:
            text = budget.take(capped[key].get(name, ""), limit)
            _set_or_drop(capped, key, {**capped[key], name: text} if text else None)
    return capped


def _set_or_drop(embed: dict[str, Any], key: str, value: Any) -> None:
    if value:
        embed[key] = value
    else:
        embed.pop(key, None)
