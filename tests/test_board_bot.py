"""The status board of the running bot, from outside, as an operator meets it: `statusbot run` with
`[bot] http` and `http_token`, local pages (one with an incident, one that answers 500), and the
board, its JSON and its feed read over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest

from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port
from tests.world import World

HOST = "127.0.0.1"
TOKEN = "board-bot-token-91c2d7e4a8"
BROKEN = """
[[providers]]
name = "broken"
title = "Broken Co"
kind = "statuspage"
url = "{url}/broken"
"""


@pytest.fixture
def board(tmp_path: Path) -> Iterator[tuple[World, httpx.Client]]:
    """The bot serving its board behind a token; Acme has a major incident from the start."""
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        pages.serve("/broken/api/v2/summary.json", b"upstream trouble", status=500)
        world = World(tmp_path, pages, receiver)
        world.acme.open_incident("inc1", "Elevated <b>API</b> errors", "We are looking into it.", impact="major",
                                 components=("api",))
        world.acme.component("api", "API", "partial_outage")
        world.publish()
        port = free_port()
        config = world.config(settings=f'http = "{HOST}:{port}"\nhttp_token = "{TOKEN}"',
                              extra=BROKEN.format(url=pages.url))
        with BotProcess("run", "--config", str(config), cwd=tmp_path) as running, \
                httpx.Client(base_url=f"http://{HOST}:{port}", timeout=10) as client:
            running.wait_for_output("serving /healthz")
            world.expect(1)
            yield world, client


def status(client: httpx.Client) -> dict:
    answer = client.get("/api/v1/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    return answer.json()


def test_the_running_bots_board_shows_every_page_worst_first_behind_its_token(board):
    _, client = board
    def read() -> list[dict]:
        return status(client)["providers"]

    expected = [("acme", "partial"), ("broken", "unknown"), ("nova", "operational")]

    def shown() -> bool:
        providers = read()
        return [(p["name"], p["state"]) for p in providers] == expected and bool(providers[1]["error"])

    # Each page's first poll lands on the board with the board after it (a board is kept 2 s).
    eventually(shown, what=lambda: f"every page's first poll on the board: {read()}")
    providers = read()
    acme, broken, _ = providers
    assert acme["incidents"][0]["title"] == "Elevated <b>API</b> errors"
    assert acme["components"] == [{"name": "API", "group": None, "status": "partial_outage"}]
    assert acme["last_success_at"] is not None
    assert broken["error"] and "500" in broken["error"] and broken["last_success_at"] is None, broken

    page = client.get("/", params={"token": TOKEN})
    assert page.status_code == 200
    assert "Elevated &lt;b&gt;API&lt;/b&gt; errors" in page.text
    assert "<b>API</b>" not in page.text
    assert all(title in page.text for title in ("Acme", "Broken Co", "Nova"))

    feed = feedparser.parse(client.get("/events.atom", params={"token": TOKEN}).content)
    assert not feed.bozo
    assert any("Elevated <b>API</b> errors" in entry.title for entry in feed.entries)

    for path in ("/", "/api/v1/status", "/events.atom", "/metrics"):
        assert client.get(path).status_code == 401, path
    assert client.get("/healthz").status_code == 200


def test_a_new_incident_reaches_the_board_with_the_next_poll(board):
    world, client = board
    world.nova.open_incident("01JINC00000000000000000001", "Chat is slow", "Investigating.", impact="minor")
    world.publish()
    eventually(lambda: status(client)["providers"][1]["name"] == "nova", what="nova climbing the board")
    nova = status(client)["providers"][1]
    assert (nova["state"], nova["incidents"][0]["title"]) == ("degraded", "Chat is slow")
    assert status(client)["events"][0]["title"] == "Chat is slow"
