"""One provider's backlog must not bury another's outage: the real bot, a page whose first sight
fills a channel's outbox, and a second page's incident, which goes out after a message or two of
the backlog rather than after all of it. The store's turn-taking itself: tests/test_state_hardening.py."""

from __future__ import annotations

import json

import pytest

from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.world import World

BACKLOG = 300
SEND_TIME = 0.01  # seconds the receiver takes per message: the backlog lasts a few seconds
NOVA_INCIDENT = "01JINC00000000000000000001"


@pytest.fixture
def world(tmp_path):
    with StatusPageServer() as pages, WebhookReceiver(delay=SEND_TIME) as receiver:
        yield World(tmp_path, pages, receiver)


def providers(world: World) -> list[str]:
    """The provider of each webhook delivered so far, in the order they arrived."""
    return [json.loads(request.body)["data"]["provider"] for request in world.receiver.requests]


def test_a_second_pages_incident_overtakes_the_first_pages_backlog(world):
    for n in range(BACKLOG):  # Acme at first sight, every incident announced (the cap raised)
        world.acme.open_incident(f"f{n:04d}", f"Outage {n}", f"Investigating {n}")
    world.publish()
    config = world.config(settings=f"max_events_per_poll = {BACKLOG}")
    with BotProcess("run", "--config", str(config), cwd=world.tmp):
        eventually(lambda: len(providers(world)) >= 10, what="Acme's backlog draining")
        world.nova.open_incident(NOVA_INCIDENT, "Chat down", "Investigating the outage", impact="critical")
        world.publish()
        before = len(providers(world))
        eventually(lambda: "nova" in providers(world), what="Nova's incident")
        arrived = providers(world)
        world.receiver.wait_for(BACKLOG + 1, timeout=30)

    overtaken = arrived.index("nova") - before
    # Between the publish and Nova's delivery: Nova's next poll (interval 0.1 s), Acme's send in
    # flight, and then one turn. Without turns, the rest of the backlog (over 250) came first.
    assert overtaken <= 20, f"Nova's incident waited behind {overtaken} of Acme's messages"
    assert providers(world).count("acme") - arrived.count("acme") >= BACKLOG // 2, "Acme's backlog was still long"
    created = [json.loads(r.body)["data"]["incident"]["id"] for r in world.receiver.requests
               if json.loads(r.body)["data"]["provider"] == "acme"]
    assert len(created) == BACKLOG and len(set(created)) == BACKLOG
