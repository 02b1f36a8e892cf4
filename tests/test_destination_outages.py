"""Destination outages through the whole bot, as a process: a chat outage is a backlog.

A webhook that times out and then answers 5xx drains its backlog in order once it recovers; a
429 storm is waited out as long as each answer asks; a channel that is gone for good (410, a
revoked Slack token) or hangs never holds back a healthy one. Odd answers are not outages: a
Slack webhook's 200 with a broken body was posted, and a redirect is never followed, tried three
times, then given up while the channel goes on.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pytest

from tests.eventually import eventually
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import Received, Reply, WebhookReceiver
from tests.test_end_to_end import summary
from tests.world import World

OUTAGE_TIMEOUT = 0.5  # the failing channel's `timeout`: its receiver answers later than this
OUTAGE_RETRY_AFTER = 0.2  # seconds each 503 of the outage asks for
RETRY_AFTER = 0.5  # seconds each 429 of the storm asks for
# Timer and thread scheduling on a loaded machine: the one slack allowed on a Retry-After bound.
CLOCK_SLACK = 0.05
# How soon the healthy channel must get an event after it is published: many poll intervals
# (0.1 s each), and well below the HUNG_TIMEOUT that a hung channel's send would cost it.
HEALTHY_LATENCY = 1.5
HUNG_TIMEOUT = 2.5  # what a stop waits for the hung send, too
NOVA_INCIDENT = "01JINC00000000000000000007"


class TimedReceiver(WebhookReceiver):
    """A WebhookReceiver that also notes when each request arrived (time.monotonic())."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(delay)
        self._arrivals: list[float] = []

    @property
    def arrivals(self) -> list[float]:
        with self._changed:
            return list(self._arrivals)

    def _reply(self, request: Received) -> Reply:
        with self._changed:  # a reentrant lock: the base class takes it again
            self._arrivals.append(time.monotonic())
            return super()._reply(request)


class OutageReceiver(TimedReceiver):
    """Down until `recover()`: first an answer too late for the bot (it times out), then 503s
    that ask to retry after OUTAGE_RETRY_AFTER; a plain 200 each time once recovered."""

    def __init__(self) -> None:
        super().__init__()
        self._up = False
        self.refused = 0  # requests answered while down

    def recover(self) -> int:
        """End the outage; how many requests it refused."""
        with self._changed:
            self._up = True
            return self.refused

    def _reply(self, request: Received) -> Reply:
        with self._changed:
            reply = super()._reply(request)
            if self._up:
                return reply
            self.refused += 1
            if self.refused == 1:
                return Reply(200, delay=OUTAGE_TIMEOUT + 1.0)  # the bot has given up on it by then
            return Reply(503, {"Retry-After": str(OUTAGE_RETRY_AFTER)})


@pytest.fixture
def healthy() -> Iterator[TimedReceiver]:
    """The world's own webhook channel, `hooks`, which never fails."""
    with TimedReceiver() as receiver:
        yield receiver


@pytest.fixture
def world(tmp_path, healthy) -> Iterator[World]:
    with StatusPageServer() as pages:
        yield World(tmp_path, pages, healthy)


@pytest.fixture
def second() -> Iterator[TimedReceiver]:
    with TimedReceiver() as receiver:
        yield receiver


def webhook_channel(name: str, receiver: WebhookReceiver, timeout: float = 15.0) -> str:
    return f'\n[[channels]]\nname = "{name}"\ntype = "webhook"\nurl = "{receiver.url}/hook"\ntimeout = {timeout}\n'


def by_thread(requests: list[Received]) -> dict[str, list[str]]:
    """The update texts each thread (incident) received, in arrival order."""
    threads: dict[str, list[str]] = {}
    for request in requests:
        payload = json.loads(request.body)
        threads.setdefault(payload["data"]["thread_key"], []).append(summary(payload)[1])
    return threads


def gaps(arrivals: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(arrivals)]


def test_a_timeout_and_5xx_then_recovery_drains_the_backlog_in_order(world):
    with OutageReceiver() as second, world.bot(
            channels=webhook_channel("outage", second, timeout=OUTAGE_TIMEOUT)) as bot:
        # Everything is published during the outage, which lasts until all of it is queued.
        steps = [
            lambda: world.acme.open_incident("i1", "API errors", "First"),
            lambda: world.acme.update("i1", "identified", "Second"),
            lambda: world.nova.open_incident(NOVA_INCIDENT, "Chat slow", "Nova first"),
            lambda: world.acme.update("i1", "resolved", "Third"),
            lambda: world.nova.update(NOVA_INCIDENT, "resolved", "Nova second"),
        ]
        for count, step in enumerate(steps, start=1):
            step()
            world.publish()
            world.expect(count)  # seen by the healthy channel before the next change
        eventually(lambda: world.undelivered("outage") == len(steps) and second.refused >= 3,
                   what="everything queued behind the outage, the first message refused 3 times")
        failures = second.recover()
        second.wait_for(failures + len(steps), timeout=30)
        world.settle()
        assert bot.stop() == 0

    attempts = second.requests
    assert len({r.headers["webhook-id"] for r in attempts[:failures + 1]}) == 1, "the first message, retried"
    accepted = attempts[failures:]
    assert len(accepted) == 5, "nothing lost, nothing twice"
    assert {r.headers["webhook-id"] for r in accepted} == {r.headers["webhook-id"] for r in world.receiver.requests}
    assert by_thread(accepted) == {
        "acme:incident:i1": ["First", "Second", "Third"],
        f"nova:incident:{NOVA_INCIDENT}": ["Nova first", "Nova second"],
    }
    warnings = [line for line in bot.stderr if "channel outage: attempt" in line]
    assert any("HTTP 503" in line for line in warnings) and any("timed out" in line for line in warnings), warnings


def test_a_429_storm_is_waited_out_as_long_as_each_answer_asks(world, second):
    storm = 4
    second.respond(429, headers={"Retry-After": str(RETRY_AFTER)}, times=storm)
    with FakeDiscord() as discord:
        discord.respond(429, {"message": "You are being rate limited.", "retry_after": RETRY_AFTER, "global": False},
                        headers={"Retry-After": str(RETRY_AFTER), "Via": "1.1 google"}, times=storm)
        channels = webhook_channel("stormy", second) + (
            f'\n[[channels]]\nname = "stormy-discord"\ntype = "discord"\nwebhook_url = "{discord.webhook_url()}"\n')
        world.acme.open_incident("i1", "API errors", "Investigating")
        world.publish()
        with world.bot(channels=channels) as bot:
            second.wait_for(storm + 1, timeout=30)
            discord.wait_for(storm + 1, timeout=30)
            world.settle()
            assert bot.stop() == 0
        discord_arrivals = [call.at for call in discord.requests]

    for arrivals in (second.arrivals, discord_arrivals):
        assert len(arrivals) == storm + 1, "each 429 retried once, then accepted once"
        assert min(gaps(arrivals)) >= RETRY_AFTER - CLOCK_SLACK, gaps(arrivals)
    assert [r.status for r in discord.requests] == [429] * storm + [200]


def test_a_channel_gone_for_good_or_hung_never_delays_a_healthy_one(world, healthy, second):
    second.respond(410, times=100)
    with TimedReceiver(delay=60) as hung, FakeSlack() as slack:
        channels = (
            webhook_channel("gone", second)
            + webhook_channel("hung", hung, timeout=HUNG_TIMEOUT)
            + f'\n[[channels]]\nname = "ops-slack"\ntype = "slack"\ntoken = "xoxb-token-revoked"\n'
              f'channel = "#incidents"\napi_url = "{slack.api_url}"\n'
        )
        world.acme.open_incident("i1", "API errors", "Investigating")
        world.publish()
        with world.bot(channels=channels) as bot:
            world.expect(1)
            bot.wait_for_output("channel gone: disabled")
            bot.wait_for_output("channel ops-slack: disabled")
            hung.wait_for(1)
            latencies = [published_to_healthy(world, healthy, status, text) for status, text in (
                ("identified", "Cause found"), ("monitoring", "Fix deployed"), ("resolved", "All clear"))]
            assert bot.stop() == 0
        revoked_calls = [r for r in slack.requests if r.token == "xoxb-token-revoked"]

    assert max(latencies) < HEALTHY_LATENCY, latencies
    assert [summary(p)[1] for p in world.delivered()] == ["Investigating", "Cause found", "Fix deployed", "All clear"]
    assert len(second.requests) == 1 and len(revoked_calls) == 1, "disabled at the first refusal, not retried"
    assert len({r.headers["webhook-id"] for r in hung.requests}) == 1, "the hung channel is still on its first message"


def published_to_healthy(world: World, healthy: TimedReceiver, status: str, text: str) -> float:
    """Publish an update; seconds until the healthy channel received it."""
    count = len(healthy.requests) + 1
    published = time.monotonic()
    world.acme.update("i1", status, text)
    world.publish()
    world.expect(count)
    return healthy.arrivals[count - 1] - published


def slack_channel(name: str, slack: FakeSlack, token: bool = False) -> str:
    target = (f'token = "xoxb-ok"\nchannel = "#ops"\napi_url = "{slack.api_url}"' if token
              else f'webhook_url = "{slack.webhook_url()}"')
    return f'\n[[channels]]\nname = "{name}"\ntype = "slack"\n{target}\n'


def test_odd_answers_are_posted_once_or_given_up_never_followed(world, second):
    """The review's attacks: a Slack webhook's 200 with a body that is not UTF-8 (posted three
    times), a Slack Web API's 302 (AttributeError), a 307 from an incoming webhook to another host
    (followed, and counted as delivered); the same redirect from a generic webhook."""
    with (WebhookReceiver() as elsewhere, FakeSlack() as broken_body, FakeSlack() as moved_hook,
          FakeSlack() as moved_api):
        away = {"Location": f"{elsewhere.url}/hook"}
        broken_body.respond(200, b"\xff\xfe ok \xc3\x28")  # not UTF-8: slack_sdk cannot read it
        moved_hook.respond(307, "", away, times=3)
        moved_api.respond(302, "", away, times=3)
        second.respond(307, headers=away, times=3)
        channels = (webhook_channel("moved", second) + slack_channel("slack-hook", broken_body)
                    + slack_channel("slack-moved", moved_hook) + slack_channel("slack-api", moved_api, token=True))
        world.acme.open_incident("i1", "API errors", "Investigating")
        world.publish()
        with world.bot(channels=channels) as bot:
            world.expect(1)
            for name in ("moved", "slack-moved", "slack-api"):
                bot.wait_for_output(f"channel {name}: gave up", timeout=30)
            world.acme.update("i1", "identified", "Cause found")
            world.publish()
            for fake, count in ((second, 4), (broken_body, 2), (moved_hook, 4), (moved_api, 4)):
                fake.wait_for(count)
            world.settle()
            assert bot.stop() == 0
        to_slack = [request.body["text"] for request in broken_body.requests]
        to_api = [request.path for request in moved_api.requests]
        moved_posts = moved_hook.webhook_posts()

    assert elsewhere.requests == [], "no redirect was ever followed"
    assert len(to_slack) == 2 and "New incident" in to_slack[0] and "Identified" in to_slack[1], "each posted once"
    assert any("slack-hook" in line and "accepted (HTTP 200 OK with 8 bytes of text/plain)" in line
               for line in bot.stderr), bot.stderr
    assert [summary(json.loads(r.body))[1] for r in second.requests] == ["Investigating"] * 3 + ["Cause found"]
    assert to_api == ["/api/chat.postMessage"] * 4 and len(moved_posts) == 1, "the next message goes out"
    errors = sorted(line.split(" | ", 2)[2].rstrip() for line in bot.stderr if "| ERROR |" in line)
    given_up = "(given up after 3 unexpected failures)"
    assert errors == [
        "channel moved: gave up on incident.created inc:i1: webhook channel 'moved': "
        f"HTTP 307 Temporary Redirect with no body: a redirect, not followed {given_up}",
        "channel slack-api: gave up on incident.created inc:i1: slack channel 'slack-api': "
        f"HTTP 302 Found with no body: a redirect, not followed {given_up}",
        "channel slack-moved: gave up on incident.created inc:i1: slack channel 'slack-moved': "
        f"HTTP 307 Temporary Redirect with no body: a redirect, not followed {given_up}",
    ]
