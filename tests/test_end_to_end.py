"""The whole bot as a process: local status pages in, console and a signed webhook out.

These are the scenarios of a new user's first hour: an incident's whole lifecycle, a component
degrading and recovering, an incident.io page with no ETag, restarts (graceful, kill -9, with
changes made meanwhile) and the first run over a page that already has history. (A webhook
outage as a backlog: tests/test_destination_outages.py.)

"Nothing more arrives" is shown without sleeping: the bot polls each page a few more times
(the page server counts the requests) and its outbox is empty, so whatever it found has arrived.
"""

from __future__ import annotations

import signal

import pytest

from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver, verify_standard_webhook
from tests.world import SECRET, SETTLING_POLLS, World


@pytest.fixture
def world(tmp_path):
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        yield World(tmp_path, pages, receiver)


def summary(payload: dict) -> tuple[str, str]:
    """(type, the text that identifies the change) of a delivered webhook."""
    data = payload["data"]
    if payload["type"] == "component.status":
        return payload["type"], f"{data['component']['name']}:{data['new_status']}"
    return payload["type"], (data.get("update") or {}).get("body", "")


def event_lines(bot: BotProcess) -> list[str]:
    return [line for line in bot.stdout if " | Provider=" in line]


def acme_counts(pages: StatusPageServer) -> tuple[int, int]:
    """(requests, 304 answers) so far for the ETag page."""
    paths = [p for p in pages.hits if p.startswith("/acme")]
    return sum(pages.hits[p] for p in paths), sum(pages.not_modified[p] for p in paths)


def test_incident_lifecycle_reaches_console_and_webhook_once_each(world):
    world.acme.open_incident("old", "Old outage", "Looking into it")
    world.acme.update("old", "resolved", "Fixed long ago")
    world.acme.open_incident("live", "API errors", "We are investigating errors", components=("api",))
    world.publish()

    with world.bot() as bot:
        world.expect(1)
        steps = [
            lambda: world.acme.update("live", "identified", "The cause is a bad deploy"),
            lambda: world.acme.update("live", "monitoring", "A fix is rolled out"),
            lambda: world.acme.update("live", "resolved", "All good again"),
            lambda: world.acme.component("api", "API", "degraded_performance"),
            lambda: world.acme.component("api", "API", "operational"),
            lambda: world.nova.open_incident("01JINC00000000000000000001", "Chat slow", "Elevated latency"),
            lambda: world.nova.update("01JINC00000000000000000001", "resolved", "Latency is back to normal"),
        ]
        for count, step in enumerate(steps, start=2):
            step()
            world.publish()
            world.expect(count)
        world.settle()
        assert bot.stop() == 0

    assert [summary(p) for p in world.delivered()] == [
        ("incident.created", "We are investigating errors"),
        ("incident.status", "The cause is a bad deploy"),
        ("incident.status", "A fix is rolled out"),
        ("incident.resolved", "All good again"),
        ("component.status", "API:degraded_performance"),
        ("component.status", "API:operational"),
        ("incident.created", "Elevated latency"),
        ("incident.resolved", "Latency is back to normal"),
    ]
    for request in world.receiver.requests:
        assert verify_standard_webhook(SECRET, request.headers, request.body)
    lines = event_lines(bot)
    assert len(lines) == 8, lines
    for text in ("We are investigating errors", "The cause is a bad deploy", "All good again", "Elevated latency"):
        assert sum(text in line for line in lines) == 1
    assert not any("Old outage" in line or "Fixed long ago" in line for line in lines)
    assert "Provider=Acme" in lines[0] and "Status=investigating" in lines[0]


def test_restarts_announce_exactly_what_changed_meanwhile(world):
    world.acme.open_incident("i1", "API errors", "Investigating")
    world.publish()
    with world.bot() as bot:
        world.expect(1)
        assert bot.stop() == 0

    # Graceful restart: nothing is re-announced, and the ETag page answers 304 from the first poll.
    before = acme_counts(world.pages)
    with world.bot() as bot:
        world.settle()
        assert bot.stop() == 0
    assert len(world.receiver.requests) == 1 and event_lines(bot) == []
    after = acme_counts(world.pages)
    polls, answered_304 = after[0] - before[0], after[1] - before[1]
    assert polls >= SETTLING_POLLS and answered_304 == polls, (polls, answered_304)

    # Changes made while the bot was stopped are announced after the restart, once.
    world.acme.update("i1", "identified", "Found it")
    world.acme.component("web", "Website", "partial_outage")
    world.nova.open_incident("01JINC00000000000000000002", "Login failures", "Users cannot log in")
    world.publish()
    with world.bot() as bot:
        world.expect(4)
        # kill -9 once everything is delivered and recorded: nothing may be announced twice after it.
        eventually(lambda: world.undelivered() == 0)
        bot.kill()
    with world.bot() as bot:
        world.wait_for_polls(1)  # the restarted bot has compared every page with what it stored
        world.acme.update("i1", "resolved", "Fixed")
        world.publish()
        world.expect(5)
        world.settle()
        assert bot.stop() == 0

    # Pages are polled concurrently: the order is promised per incident, not across pages.
    delivered = [summary(p) for p in world.delivered()]
    assert sorted(delivered) == sorted([
        ("incident.created", "Investigating"),
        ("incident.status", "Found it"),
        ("component.status", "Website:partial_outage"),
        ("incident.created", "Users cannot log in"),
        ("incident.resolved", "Fixed"),
    ])
    thread = [s for p, s in zip(world.delivered(), delivered) if p["data"]["thread_key"] == "acme:incident:i1"]
    assert [text for _, text in thread] == ["Investigating", "Found it", "Fixed"]


def test_a_gone_endpoint_disables_the_channel_and_keeps_the_console(world):
    world.receiver.respond(410, times=100)
    world.acme.open_incident("i1", "API errors", "First")
    world.publish()
    with world.bot() as bot:
        bot.wait_for_output("disabled")
        world.acme.update("i1", "resolved", "Fixed")
        world.publish()
        eventually(lambda: len(event_lines(bot)) == 2, what="the console's second line")
        world.wait_for_polls(SETTLING_POLLS)
        assert bot.stop() == 0
    assert len(world.receiver.requests) == 1, "a 410 is not retried"
    assert world.undelivered("hooks") == 2, "the backlog is kept for when the endpoint is fixed"
    assert len(event_lines(bot)) == 2
    assert any("channel hooks: disabled" in line for line in bot.stderr)


@pytest.mark.parametrize("mode,expected", [("active", 1), ("all", 2), ("none", 0)])
def test_first_run_modes_with_run_once(world, mode, expected):
    world.acme.open_incident("done", "Old outage", "Was broken")
    world.acme.update("done", "resolved", "Fixed")
    world.acme.open_incident("live", "API errors", "Is broken")
    world.publish()
    bot = BotProcess("run", "--once", "--config", str(world.config(first_run=mode)), cwd=world.tmp)
    assert bot.run() == 0, "".join(bot.stderr)
    assert len(world.receiver.requests) == expected
    assert len(event_lines(bot)) == expected
    again = BotProcess("run", "--once", "--config", str(world.config(first_run=mode)), cwd=world.tmp)
    assert again.run() == 0 and len(world.receiver.requests) == expected, "a second run announces nothing"


def test_a_broken_page_is_reported_by_name_and_the_others_keep_flowing(world):
    world.pages.serve("/acme/api/v2/summary.json", b"<html>Bad gateway</html>", status=200)
    world.nova.open_incident("01JINC00000000000000000003", "Chat slow", "Elevated latency")
    world.publish()
    world.pages.serve("/acme/api/v2/summary.json", b"<html>Bad gateway</html>", status=200)
    bot = BotProcess("run", "--once", "--config", str(world.config()), cwd=world.tmp)
    assert bot.run() == 1
    assert [summary(p)[1] for p in world.delivered()] == ["Elevated latency"]
    errors = [line for line in bot.stderr if "provider acme" in line]
    assert errors and "HTML" in errors[0]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_lets_the_send_in_flight_finish(world, sig):
    world.receiver.respond(200, delay=0.5)  # the first delivery takes half a second: the stop comes meanwhile
    world.acme.open_incident("i1", "API errors", "Investigating")
    world.publish()
    with world.bot() as bot:
        world.expect(1)
        bot.signal(sig)
        assert bot.wait() == 0
    with world.bot() as bot:
        world.settle()
        assert bot.stop() == 0
    assert len(world.receiver.requests) == 1, "delivered once, not again after the restart"
