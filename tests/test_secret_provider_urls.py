"""A token in a provider's URL (`?token=${FEED_TOKEN}`, or in its path) is a secret everywhere.

The real bot runs against a local feed whose entry has no link of its own: the chat messages'
link falls back to the page's public address (no query), or to none when the token is in the
path; the console line and the webhook payload link nothing (the entry has no link); the log,
`check`, `status`, /metrics and the database never show the token.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.bot_process import BotProcess
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port
from tests.test_operations import get

TOKEN = "f33d-t0k3n-5ecret"
# One entry, with no <link>: a message about it links the page, if anything.
FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Acme</title>'
    b"<item><title>API errors</title><description>Investigating elevated errors.</description>"
    b'<pubDate>Thu, 09 Jul 2026 06:01:22 +0000</pubDate><guid isPermaLink="false">acme-1</guid></item>'
    b"</channel></rss>"
)


@pytest.fixture
def pages():
    with StatusPageServer() as server:
        yield server


class Destinations:
    """Where the bot's messages go: a webhook receiver, Slack's and Discord's incoming webhooks."""

    def __init__(self, receiver: WebhookReceiver, slack: FakeSlack, discord: FakeDiscord):
        self.receiver, self.slack, self.discord = receiver, slack, discord

    def channels(self) -> str:
        return f"""
[[channels]]
name = "log"
type = "console"

[[channels]]
name = "hooks"
type = "webhook"
url = "{self.receiver.url}/hook"

[[channels]]
name = "slack"
type = "slack"
webhook_url = "{self.slack.webhook_url()}"

[[channels]]
name = "discord"
type = "discord"
webhook_url = "{self.discord.webhook_url()}"
"""

    def links(self) -> tuple[str, str | None, str | None]:
        """The one message's link as the webhook, Slack and Discord got it (None: no link)."""
        [hook] = [json.loads(request.body)["data"] for request in self.receiver.requests]
        [slack] = self.slack.webhook_posts()
        [discord] = self.discord.messages
        slack_link = re.search(r"<(http[^|>]*)\|", json.dumps(slack))
        return (hook["incident"]["url"], slack_link and slack_link.group(1),
                discord.current["embeds"][0].get("url"))


@pytest.fixture
def destinations():
    with WebhookReceiver() as receiver, FakeSlack() as slack, FakeDiscord() as discord:
        yield Destinations(receiver, slack, discord)


def write_config(tmp_path: Path, url: str, destinations: Destinations, bot: str = "") -> Path:
    path = tmp_path / "statusbot.toml"
    path.write_text(f"""
[bot]
database = "{tmp_path / 'state.db'}"
first_run = "all"
interval = 0.2
{bot}

[[providers]]
name = "acme"
kind = "feed"
url = "{url}"
{destinations.channels()}""")
    return path


def start(*args: str, tmp_path: Path) -> BotProcess:
    """`statusbot ARGS` at DEBUG, with the token in its environment; started, not waited for."""
    return BotProcess("--log-level", "DEBUG", *args, cwd=tmp_path, env={"FEED_TOKEN": TOKEN}).start()


def output(*processes: BotProcess) -> str:
    return "".join(line for p in processes for line in p.stdout + p.stderr)


def stored(tmp_path: Path) -> bytes:
    """Every byte of the database, its WAL and shared memory."""
    return b"".join(path.read_bytes() for path in tmp_path.glob("state.db*"))


def test_a_token_in_the_query_leaves_the_page_address_as_the_link(tmp_path, pages, destinations):
    pages.serve(f"/feeds/status.rss?token={TOKEN}", FEED)
    config = write_config(tmp_path, f"{pages.url}/feeds/status.rss?token=${{FEED_TOKEN}}", destinations)
    once = start("run", "--once", "--config", str(config), tmp_path=tmp_path)
    assert once.wait() == 0, output(once)
    assert pages.hits[f"/feeds/status.rss?token={TOKEN}"] == 1, "the token reached the page itself"
    public = f"{pages.url}/feeds/status.rss"
    assert destinations.links() == ("", public, public)
    [line] = [line for line in once.stdout if "API errors" in line]
    assert "Link=" not in line
    check = start("check", "--config", str(config), tmp_path=tmp_path)
    status = start("status", "--config", str(config), tmp_path=tmp_path)
    assert (check.wait(), status.wait()) == (0, 0)
    assert f"url={pages.url}/***" in output(check)
    assert TOKEN not in output(once, check, status)
    assert TOKEN.encode() not in stored(tmp_path)


def test_a_token_in_the_path_leaves_no_link_at_all(tmp_path, pages, destinations):
    pages.serve(f"/feeds/{TOKEN}/status.rss", FEED)
    config = write_config(tmp_path, f"{pages.url}/feeds/${{FEED_TOKEN}}/status.rss", destinations)
    once = start("run", "--once", "--config", str(config), tmp_path=tmp_path)
    assert once.wait() == 0, output(once)
    assert destinations.links() == ("", None, None)
    [line] = [line for line in once.stdout if "API errors" in line]
    assert "Link=" not in line
    check = start("check", "--config", str(config), tmp_path=tmp_path)
    assert check.wait() == 0
    assert TOKEN not in output(once, check)
    assert TOKEN.encode() not in stored(tmp_path)


def test_a_failing_page_names_its_token_nowhere(tmp_path, pages, destinations):
    """The token is the URL's last segment, the page answers 500: the errors logged, counted in
    /metrics and kept for `status` all name the provider, never the token."""
    pages.serve(f"/feeds/{TOKEN}", b"<html>down</html>", status=500)
    port = free_port()
    config = write_config(tmp_path, f"{pages.url}/feeds/${{FEED_TOKEN}}", destinations, bot=f'http = "127.0.0.1:{port}"')
    with BotProcess("--log-level", "DEBUG", "run", "--config", str(config), cwd=tmp_path,
                    env={"FEED_TOKEN": TOKEN}) as bot:
        bot.wait_for_output("provider acme: HTTP 500")
        metrics = get(f"http://127.0.0.1:{port}/metrics")[1]
        assert 'statusbot_fetch_errors_total{provider="acme",reason="HTTP 500"}' in metrics
        assert bot.stop() == 0
    status = start("status", "--config", str(config), tmp_path=tmp_path)
    assert status.wait() == 0
    assert "HTTP 500" in output(status)
    assert TOKEN not in output(bot, status) + metrics
    assert TOKEN.encode() not in stored(tmp_path)


async def test_status_masks_a_token_an_older_database_kept(tmp_path, store, destinations):
    """A database written before errors were scrubbed may hold a token: `status` shows none."""
    await store.record_poll("acme", f"HTTP 500 from /feeds/{TOKEN}")
    await store.close()
    config = write_config(tmp_path, "http://127.0.0.1:9/feeds/${FEED_TOKEN}", destinations)
    status = start("status", "--config", str(config), tmp_path=tmp_path)
    assert status.wait() == 0
    [acme] = [line for line in status.stdout if line.startswith("acme ")]
    assert acme.rstrip().endswith("1 (HTTP 500 from /feeds/***)")
