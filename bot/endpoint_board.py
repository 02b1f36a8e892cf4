"""The endpoint's views of the board: the page (`/` and its two assets), its JSON (`/api/v1/status`)
and the Atom feed of its events (`/events.atom`).

A board is built at most once every BOARD_FOR seconds however many screens ask (bot.reused), and
each view of it (the page with one filter, the JSON, the feed) is rendered once per board, in a
worker thread: with a thousand pages that takes tens of milliseconds, which the event loop keeps
for polls and /healthz, and a flood of requests costs no more renderings than one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from bot.board_atom import MEDIA_TYPE, events_feed
from bot.board_html import board_asset, board_page
from bot.board_model import Board
from bot.clock import Clock
from bot.model import StatusbotError
from bot.reused import Reused
from bot.text import one_line

log = logging.getLogger("statusbot.endpoint")

BoardSource = Callable[[], Awaitable[Board]]

BOARD_FOR = 2.0  # seconds a built board is shown to every screen that asks
MAX_FILTER = 200  # characters of the filter box a request may carry
RENDERINGS = 32  # views of one board kept (each filter is one): a few screens use a few

# The board changes with every poll: no cache may keep it, and a `?token=` address must not be
# stored by one. The assets change only with the bot's version.
DYNAMIC = {"Cache-Control": "no-store"}
ASSETS = {"Cache-Control": "private, max-age=300"}


class Renderings:
    """The views rendered of the current board, by view and arguments; requests that arrive while
    one renders share it. A new board forgets the last one's."""

    def __init__(self, most: int = RENDERINGS):
        self.most = most
        self._board: Board | None = None
        self._views: dict[tuple[str, ...], asyncio.Future[bytes]] = {}

    async def __call__(self, board: Board, key: tuple[str, ...], render: Callable[[], bytes]) -> bytes:
        if board is not self._board:
            self._board, self._views = board, {}
        view = self._views.get(key)
        if view is None:
            if len(self._views) >= self.most:  # the oldest goes: a client sending new filters gains nothing
                self._views.pop(next(iter(self._views)))
            view = self._views[key] = asyncio.ensure_future(asyncio.to_thread(render))
        # Shielded: a client that goes away must not cancel the rendering the others wait for.
        return await asyncio.shield(view)


class BoardViews:
    def __init__(self, source: BoardSource, clock: Clock, guarded: bool):
        """`guarded`: the endpoint asks for a token, so a page opened with `?token=` carries it."""
        self.board = Reused(source, clock, lambda _: BOARD_FOR)
        self.rendered = Renderings()
        self.guarded = guarded

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_get("/board.css", self.asset)
        app.router.add_get("/board.js", self.asset)
        app.router.add_get("/api/v1/status", self.status)
        app.router.add_get("/events.atom", self.feed)

    async def page(self, request: web.Request) -> web.Response:
        board = await self._built()
        filter_text = one_line(request.query.get("q", ""))[:MAX_FILTER]
        # A screen opened with ?token= needs it in its own links, form and assets (the endpoint let
        # it in: it is the right one); a client that sent the header is no browser following links.
        token = request.query.get("token") if self.guarded else None
        html = await self.rendered(board, ("page", filter_text, token or ""),
                                   lambda: board_page(board, filter_text, token).encode())
        return web.Response(body=html, content_type="text/html", charset="utf-8", headers=DYNAMIC)

    async def asset(self, request: web.Request) -> web.Response:
        found = board_asset(request.path.lstrip("/"))
        if found is None:
            raise web.HTTPNotFound()
        body, content_type = found
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=ASSETS)

    async def status(self, request: web.Request) -> web.Response:
        board = await self._built()
        body = await self.rendered(board, ("json",), lambda: board.model_dump_json().encode())
        return web.Response(body=body, content_type="application/json", charset="utf-8", headers=DYNAMIC)

    async def feed(self, request: web.Request) -> web.Response:
        board = await self._built()
        url = _feed_url(request)
        body = await self.rendered(board, ("feed", url), lambda: events_feed(board, url))
        return web.Response(body=body, content_type=MEDIA_TYPE, charset="utf-8", headers=DYNAMIC)

    async def _built(self) -> Board:
        try:
            return await self.board()
        except StatusbotError as exc:  # the database is down: the board says so, the bot goes on
            log.warning("the status board cannot be built: %s", exc)
            raise web.HTTPServiceUnavailable(text=f"the board cannot be built now: {exc}\n") from None


def _feed_url(request: web.Request) -> str:
    """The feed's own address as the client asked for it, without its query: a `?token=` must not
    be written into the feed, which readers store and share."""
    host = quote(request.host, safe=":[]")  # the Host header is the client's: only an address's characters
    return f"{request.scheme}://{host}/events.atom"
