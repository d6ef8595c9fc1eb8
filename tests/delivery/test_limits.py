"""The limit and escaping primitives every chat body (single or grouped) is built from."""

from __future__ import annotations

import discord
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from monitor.delivery.limits import (
    ELLIPSIS,
    discord_embeds,
    listed,
    slack_blocks,
    slack_escape,
    slack_mrkdwn,
    text_length,
    truncate,
)


def test_length_counts_utf16_units_so_an_emoji_counts_two():
    assert text_length("ab") == 2 and text_length("🚨") == 2 and text_length("é") == 1


@given(st.text(), st.integers(min_value=2, max_value=300))
def test_truncate_fits_the_limit_and_only_cuts_whole_characters(text, limit):
    cut = truncate(text, limit, slack_escape)
    assert text_length(cut) <= limit
    if text_length(slack_escape(text)) <= limit:
        assert cut == slack_escape(text)
    else:
        kept = cut.removesuffix(ELLIPSIS)
        assert cut.endswith(ELLIPSIS) and slack_escape(text).startswith(kept)
        cut.encode("utf-8")  # no lone surrogate: an emoji is never split


def test_truncate_never_splits_an_entity():
    assert truncate("a<bc", 5, slack_escape) == "a…"  # "a&lt;" is 5, plus the ellipsis 6
    assert truncate("a<bc", 6, slack_escape) == "a&lt;…"


def test_slack_escape_turns_control_characters_into_entities_only():
    assert slack_escape("<!channel> & <@U1> *bold*") == "&lt;!channel&gt; &amp; &lt;@U1&gt; *bold*"


def test_more_than_fifty_slack_blocks_end_in_a_note_and_stay_valid():
    blocks = [{"type": "section", "text": slack_mrkdwn(f"alert {n}")} for n in range(80)]
    capped = slack_blocks(blocks)
    assert len(capped) == 50 and capped[:49] == blocks[:49]
    assert capped[-1]["elements"][0]["text"] == "31 more blocks left out (Slack's limit)"
    for raw in capped:
        Block.parse(raw).validate_json()


def test_discord_embeds_share_the_6000_total_and_each_field_limit():
    embed = {
        "title": "t" * 300,
        "description": "🚨" * 3000,
        "fields": [{"name": "n" * 300, "value": "v" * 2000, "inline": True}] * 30,
        "footer": {"text": "f" * 3000},
    }
    capped = discord_embeds([embed] * 12)
    assert len(capped) <= 10
    parsed = [discord.Embed.from_dict(e) for e in capped]
    assert sum(len(e) for e in parsed) <= 6000
    for e in parsed:
        assert len(e.title) <= 256 and len(e.fields) <= 25 and len(e.footer.text or "") <= 2048
        assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in e.fields)


def test_discord_total_cuts_what_comes_last_and_drops_what_is_left_empty():
    embeds = [{"title": f"alert {n}", "description": "d" * 2500} for n in range(4)]
    capped = discord_embeds(embeds)
    assert [e["description"] for e in capped[:2]] == ["d" * 2500] * 2
    assert capped[2]["title"] == "alert 2" and capped[2]["description"].endswith(ELLIPSIS)
    assert len(capped) == 3  # the fourth had no character left
    assert sum(len(discord.Embed.from_dict(e)) for e in capped) == 6000


@given(st.lists(st.text(min_size=1, max_size=80), max_size=60), st.integers(20, 2_000))
def test_listed_keeps_whole_lines_within_the_limit_and_counts_the_rest(lines, limit):
    text = listed(lines, limit)
    assert text_length(text) <= limit
    if text_length("\n".join(lines)) <= limit:
        assert text == "\n".join(lines)


def test_listed_says_how_many_lines_were_left_out():
    lines = [f"alert {n}" for n in range(10)]
    assert listed(lines, 40).splitlines() == ["alert 0", "alert 1", "alert 2", "… and 7 more"]
    assert listed(["x" * 50, "y"], 10) == "x" * 9 + ELLIPSIS
