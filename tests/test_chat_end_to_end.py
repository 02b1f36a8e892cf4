"""Slack and Discord through the whole bot, as a process, against local fake Slack and Discord.

One incident of four updates: in Slack a parent with three threaded replies and the parent edited
to each phase, the resolution broadcast; in Discord the first message edited and each update
posted. Page text full of mention syntax pings nobody; a revoked token costs one request and
never holds back the other channels.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.eventually import eventually
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.world import World

HOSTILE = "@everyone @here <!channel> <!here> <!everyone> <@U123> <#C123> <!subteam^S1|team> <@&456> <@789>"


@pytest.fixture
def chat(tmp_path):
    with StatusPageServer() as pages, WebhookReceiver() as receiver, FakeSlack() as slack, FakeDiscord() as discord:
        yield World(tmp_path, pages, receiver), slack, discord


def channels(slack: FakeSlack, discord: FakeDiscord, slack_token: str = "xoxb-ok") -> str:
    return f"""
[[channels]]
name = "ops-slack"
type = "slack"
token = "{slack_token}"
channel = "#incidents"
api_url = "{slack.api_url}"
mention = "<!here>"

[[channels]]
name = "ops-discord"
type = "discord"
webhook_url = "{discord.webhook_url('ok')}"

[[channels]]
name = "slack-hook"
type = "slack"
webhook_url = "{slack.webhook_url('ok')}"
"""


def four_updates(world: World) -> None:
    """Investigating (seen first), then identified, monitoring, resolved, one poll apart."""
    for status, body in (("identified", "Cause found"), ("monitoring", "Fix deployed"), ("resolved", "All clear")):
        world.acme.update("live", status, body)
        world.publish()
        world.expect(len(world.receiver.requests) + 1)


def slack_text(posted) -> str:
    return json.dumps([posted.text, posted.attachments, posted.blocks, posted.edits])


def test_one_incident_threads_in_slack_and_edits_in_discord(chat):
    world, slack, discord = chat
    world.acme.open_incident("live", "API errors", "Investigating errors", impact="critical")
    world.publish()
    with world.bot(channels=channels(slack, discord)) as bot:
        world.expect(1)
        four_updates(world)
        discord.wait_for(7)  # 4 posts + 3 edits
        eventually(lambda: len(slack.messages("#incidents")) == 4 and len(slack.webhook_posts("ok")) == 4)
        assert bot.stop() == 0

    parent, *replies = slack.messages("#incidents")
    assert parent.thread_ts is None and len(replies) == 3
    assert all(reply.thread_ts == parent.ts for reply in replies)
    assert [r.reply_broadcast for r in replies] == [False, False, True], "the resolution reaches the channel"
    assert len(parent.edits) == 3, "the parent follows each phase"
    assert "Resolved" in parent.text and "All clear" in json.dumps(parent.attachments)
    original = parent.edits[0]
    assert original["text"].count("<!here>") == 1, "critical and new: the channel's own mention, once"
    assert "<!here>" not in parent.text, "an edit pings nobody"

    first, *updates = discord.messages
    assert len(updates) == 3 and first.edits == 3
    assert "Resolved" in json.dumps(first.current["embeds"])
    assert all(call.json["allowed_mentions"] == {"parse": []} for call in discord.requests)

    assert len(slack.webhook_posts("ok")) == 4, "a webhook cannot thread: one message per event"


def test_mention_syntax_from_a_page_pings_nobody(chat):
    world, slack, discord = chat
    world.acme.open_incident("live", f"Outage {HOSTILE}", f"Body {HOSTILE}", impact="minor")
    world.publish()
    with world.bot(channels=channels(slack, discord)) as bot:
        world.expect(1)
        discord.wait_for(1)
        eventually(lambda: slack.messages("#incidents") and slack.webhook_posts("ok"))
        assert bot.stop() == 0

    for posted in slack.messages("#incidents"):
        raw = slack_text(posted)
        assert not re.search(r"<[!@#]", raw), raw  # escaped to &lt;...&gt;
        assert "@everyone" not in raw and "@here" not in raw  # broken by a zero-width space
    hook = json.dumps(slack.webhook_posts("ok"))
    assert not re.search(r"<[!@#]", hook)
    for message in discord.messages:
        assert message.current["mention_everyone"] is False
        assert message.current["mentions"] == [] and message.current["mention_roles"] == []
    assert "<!here>" not in slack.messages("#incidents")[0].text, "minor: below the channel's mention threshold"


def test_a_long_update_is_truncated_and_delivered(chat):
    world, slack, discord = chat
    world.acme.open_incident("live", "API errors", "word " * 2000, impact="major")
    world.publish()
    with world.bot(channels=channels(slack, discord)) as bot:
        world.expect(1)
        discord.wait_for(1)
        eventually(lambda: slack.messages("#incidents") and slack.webhook_posts("ok"))
        assert bot.stop() == 0
    [parent] = slack.messages("#incidents")
    assert len(parent.text) <= 4000
    assert all(len(block["text"]["text"]) <= 3000 for a in parent.attachments for block in a["blocks"]
               if block.get("type") == "section")
    [first] = discord.messages
    assert len(first.current["embeds"][0]["description"]) <= 4096


def test_a_revoked_token_is_tried_once_and_never_holds_back_the_others(chat):
    world, slack, discord = chat
    world.acme.open_incident("live", "API errors", "Investigating errors")
    world.publish()
    with world.bot(channels=channels(slack, discord, slack_token="xoxb-token-revoked")) as bot:
        world.expect(1)
        world.acme.update("live", "resolved", "All clear")  # queued behind the refused first message
        world.publish()
        world.expect(2)
        discord.wait_for(3)  # 2 posts + 1 edit
        eventually(lambda: len(slack.webhook_posts("ok")) == 2)
        assert bot.stop() == 0
    token_calls = [r for r in slack.requests if r.token == "xoxb-token-revoked"]
    assert len(token_calls) == 1, "disabled at the first refusal; the backlog waits for a fix"
    assert len(discord.messages) == 2 and len(slack.webhook_posts("ok")) == 2
    assert any("channel ops-slack: disabled" in line for line in bot.stderr)
    assert not any("xoxb-token-revoked" in line for line in bot.stderr + bot.stdout)
