"""The board's routes on the real endpoint, in process on a real socket: what each path answers,
the headers every answer carries, `[bot] http_token` on every path but /healthz, one board built
per period however many screens ask, and a database that cannot build one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

import feedparser
import httpx
import pytest

from bot.board_model import Board
from bot.endpoint import Endpoint
from bot.endpoint_access import SECURITY_HEADERS
from bot.endpoint_board import BOARD_FOR, Renderings
from bot.metrics import Metrics
from bot.store_base import DatabaseUnavailable
from tests.board_builders import sample_board
from tests.ports import free_port
from tests.test_endpoint import HandClock, healthy

HOST = "127.0.0.1"
TOKEN = "wall-screen-token-4f9a2c71"
GUARDED = ("/", "/board.css", "/board.js", "/api/v1/status", "/events.atom", "/metrics")


class Boards:
    """The endpoint's board source: the sample board, counted; or an error to raise."""

    def __init__(self, board: Board | None = None, error: Exception | None = None):
        self.board = board or sample_board()
        self.error = error
        self.calls = 0

    async def __call__(self) -> Board:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.board


@contextlib.asynccontextmanager
async def serving(boards: Boards, token: str | None = None, clock: HandClock | None = None
                  ) -> AsyncIterator[httpx.AsyncClient]:
    endpoint = Endpoint(f"{HOST}:{free_port()}", Metrics(), healthy, clock or HandClock(), board=boards, token=token)
    await endpoint.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{endpoint.port}", timeout=10) as client:
            yield client
    finally:
        await endpoint.stop()


async def test_each_path_answers_its_view_of_the_board_with_the_security_headers():
    boards = Boards()
    async with serving(boards) as client:
        page = await client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.text.lstrip().lower().startswith("<!doctype html>")
        assert all(p.title in page.text for p in boards.board.providers if "<" not in p.title)

        css, js = await client.get("/board.css"), await client.get("/board.js")
        assert (css.status_code, css.headers["content-type"]) == (200, "text/css; charset=utf-8")
        assert (js.status_code, js.headers["content-type"]) == (200, "text/javascript; charset=utf-8")

        api = await client.get("/api/v1/status")
        assert api.headers["content-type"] == "application/json; charset=utf-8"
        assert api.json() == json.loads(boards.board.model_dump_json())

        feed = await client.get("/events.atom")
        assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo
        assert len(parsed.entries) == len(boards.board.events)

        missing = await client.get("/nothing-here")
        for answer in (page, css, js, api, feed, missing, await client.get("/healthz")):
            for header, value in SECURITY_HEADERS.items():
                assert answer.headers[header] == value, (answer.url, header)
        for answer in (page, api, feed):
            assert answer.headers["cache-control"] == "no-store"


async def test_the_page_carries_the_filter_it_was_asked_for():
    async with serving(Boards()) as client:
        page = await client.get("/", params={"q": "zzz-no-such-provider"})
    assert page.status_code == 200
    assert 'value="zzz-no-such-provider"' in page.text


async def test_a_token_guards_every_path_but_healthz():
    async with serving(Boards(), token=TOKEN) as client:
        assert (await client.get("/healthz")).status_code == 200
        for path in GUARDED:
            for headers, params in (({}, {}), ({"Authorization": "Bearer wrong-token-0000000000"}, {}),
                                    ({}, {"token": "wrong-token-0000000000"}), ({"Authorization": TOKEN}, {})):
                refused = await client.get(path, headers=headers, params=params)
                assert refused.status_code == 401, (path, headers, params)
                assert refused.headers["www-authenticate"] == 'Bearer realm="statusbot"'
                assert TOKEN not in refused.text
            assert (await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200, path
            assert (await client.get(path, params={"token": TOKEN})).status_code == 200, path


async def test_a_page_opened_with_its_token_links_its_own_assets_with_it_and_the_feed_never_holds_it():
    async with serving(Boards(), token=TOKEN) as client:
        page = await client.get("/", params={"token": TOKEN})
        assert f'"board.css?token={TOKEN}"' in page.text
        assert f'"board.js?token={TOKEN}"' in page.text
        feed = await client.get("/events.atom", params={"token": TOKEN})
        api = await client.get("/api/v1/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert feed.status_code == api.status_code == 200
    assert TOKEN not in feed.text
    assert TOKEN not in api.text
    assert feedparser.parse(feed.content).feed.links[0].href.endswith("/events.atom")


async def test_a_flood_of_screens_costs_one_board_per_period():
    boards, clock = Boards(), HandClock()
    async with serving(boards, clock=clock) as client:
        for path in ("/", "/api/v1/status", "/events.atom") * 5:
            assert (await client.get(path)).status_code == 200
        assert boards.calls == 1
        clock.time += BOARD_FOR
        assert (await client.get("/")).status_code == 200
        assert boards.calls == 2


async def test_a_board_the_database_cannot_build_is_a_503_and_the_endpoint_lives_on(caplog):
    boards = Boards(error=DatabaseUnavailable("the database is unreachable: connection refused"))
    with caplog.at_level(logging.WARNING, logger="statusbot.endpoint"):
        async with serving(boards) as client:
            for path in ("/", "/api/v1/status", "/events.atom"):
                answer = await client.get(path)
                assert answer.status_code == 503
                assert "the database is unreachable" in answer.text
            assert (await client.get("/healthz")).status_code == 200
            boards.error = None
            assert (await client.get("/")).status_code == 200, "a failed build is not kept"
    assert "the status board cannot be built" in caplog.text


@pytest.mark.parametrize("token", [None, TOKEN])
async def test_no_token_is_written_to_the_log(caplog, token):
    with caplog.at_level(logging.DEBUG):
        async with serving(Boards(), token=token) as client:
            await client.get("/", params={"token": TOKEN})
            await client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    ours = [record.getMessage() for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))]
    assert ours, "the endpoint logs that it serves"
    assert not [message for message in ours if TOKEN in message]


async def test_each_view_of_a_board_is_rendered_once_however_many_ask_at_once():
    renders: list[str] = []

    def render(name: str) -> bytes:
        renders.append(name)
        return name.encode()

    rendered, first, second = Renderings(most=2), sample_board(), sample_board()
    answers = await asyncio.gather(*(rendered(first, ("page", "q"), lambda: render("page q")) for _ in range(20)),
                                   rendered(first, ("json",), lambda: render("json")))
    assert answers == [b"page q"] * 20 + [b"json"]
    assert sorted(renders) == ["json", "page q"]
    await rendered(first, ("page", "other"), lambda: render("page other"))  # a third view: the oldest goes
    await rendered(first, ("page", "q"), lambda: render("page q"))
    assert renders.count("page q") == 2
    await rendered(second, ("json",), lambda: render("json"))  # a new board is rendered anew
    assert renders.count("json") == 2
