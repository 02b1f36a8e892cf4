"""One page must not bury another: a page showing 3,000 unresolved incidents at first sight is
announced as at most `max_events_per_poll` messages and one summary per channel, and a real change
on another page is then announced in its turn. The selection itself: tests/test_plan.py."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.message import compose
from bot.model import Event
from notifiers._slack_render import parent_payload
from notifiers.discord import first_payload
from tests.bot_process import BotProcess
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.world import World

CAP = 25  # [bot] max_events_per_poll by default
FLOOD = 3_000
CRITICAL_EVERY = 100  # one incident in a hundred is critical: 30 of them


def summary(count: int = 37, url: str = "https://status.openai.example") -> Event:
    return Event(id="evt_s", type="provider.summary", key="summary:abc", provider="openai", provider_title="OpenAI",
                 thread_key="openai:summary:abc", impact="major", url=url, summarised=count,
                 occurred_at=datetime(2026, 11, 1, tzinfo=UTC))


def test_a_summary_says_how_many_were_not_sent_and_where_to_read_them():
    message = compose(summary())
    assert (message.label, message.headline, message.phase) == ("More changes", "OpenAI: 37 more changes", "Summary")
    assert "not announced one by one" in message.text
    assert message.text.endswith("See them on the status page: https://status.openai.example")
    assert (message.url, message.impact, message.mention, message.components) == (
        "https://status.openai.example", "major", None, ())
    assert compose(summary(1)).title == "1 more change"
    assert compose(summary(url="")).text.endswith("See them on the provider's status page.")


def test_slack_and_discord_render_a_summary():
    message = compose(summary())
    slack = json.dumps(parent_payload(message))
    assert "<https://status.openai.example|OpenAI: 37 more changes>" in slack and "Major impact" in slack
    embed = first_payload(message)["embeds"][0]
    assert (embed["title"], embed["url"]) == ("OpenAI: 37 more changes", "https://status.openai.example")
    assert "not announced one by one" in embed["description"]


@pytest.fixture
def world(tmp_path):
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        yield World(tmp_path, pages, receiver)


def run_once(world: World) -> BotProcess:
    """One round of the real bot: poll both pages, deliver everything. Documents are read whole
    (3,000 incidents), so that the cap on events alone is tried."""
    path = world.config(settings="max_incidents = 5000", extra=f"""
[[channels]]
name = "pager"
type = "webhook"
url = "{world.receiver.url}/pager"
min_impact = "critical"
""")
    bot = BotProcess("run", "--once", "--config", str(path), cwd=world.tmp)
    assert bot.run() == 0, "".join(bot.stderr[-20:])
    return bot


def received(world: World) -> dict[str, list[dict]]:
    """The webhook payloads by channel: `hook` (everything) and `pager` (critical only)."""
    by_channel: dict[str, list[dict]] = {}
    for request in world.receiver.requests:
        by_channel.setdefault(request.path.strip("/"), []).append(json.loads(request.body))
    return by_channel


def test_a_flooded_page_sends_at_most_its_cap_and_one_summary_per_channel(world):
    for n in range(FLOOD):  # on Acme, at first sight
        world.acme.open_incident(f"f{n:04d}", f"Outage {n}", f"Investigating {n}",
                                 impact="critical" if n % CRITICAL_EVERY == 0 else "minor")
    world.publish()

    first = run_once(world)
    sent = received(world)
    for channel, missed in (("hook", FLOOD - CAP), ("pager", FLOOD // CRITICAL_EVERY - CAP)):
        assert Counter(payload["type"] for payload in sent[channel]) == {"incident.created": CAP,
                                                                         "provider.summary": 1}, channel
        last = sent[channel][-1]["data"]
        assert (last["provider"], last["summarised"], last["impact"]) == ("acme", missed, "critical")
        kept = {payload["data"]["incident"]["id"] for payload in sent[channel][:-1]}
        assert all(int(iid[1:]) % CRITICAL_EVERY == 0 for iid in kept), "the critical incidents are kept"
    lines = [line for line in first.stdout if "Provider=Acme" in line]
    assert len(lines) == CAP + 1 and f"{FLOOD - CAP} more changes" in lines[-1]

    world.nova.open_incident("01JINC00000000000000000001", "Chat down", "Investigating the outage", impact="critical")
    world.publish()
    second = run_once(world)
    later = received(world)
    assert [len(later[channel]) for channel in ("hook", "pager")] == [CAP + 2, CAP + 2], "nothing of Acme again"
    assert {later[channel][-1]["data"]["provider"] for channel in ("hook", "pager")} == {"nova"}
    assert [line for line in second.stdout if " | Provider=" in line] == [
        line for line in second.stdout if "Provider=Nova" in line and "Investigating the outage" in line]
