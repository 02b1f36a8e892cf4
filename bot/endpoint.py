"""The optional HTTP endpoint (`[bot] http = "127.0.0.1:9108"`): the status board and its feeds
(bot/endpoint_board.py), /healthz and /metrics.

It is read-only and belongs on the host or a private network, behind `[bot] http_token` where
others can reach it (bot/endpoint_access.py); a hostile client still must not take it down:
connections are capped and timed (bot/endpoint_connections.py), request heads are small, a flood
of /healthz costs one database write every few seconds, a flood of boards one board every few
seconds, and nothing a client sends reaches the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import CONTENT_TYPE_LATEST

from bot.clock import Clock, LoopClock
from bot.endpoint_access import SECURITY_HEADERS, Access
from bot.endpoint_board import BoardSource, BoardViews
from bot.endpoint_connections import ConnectionLimits, Connections
from bot.metrics import Metrics
from bot.model import StatusbotError
from bot.reused import Reused

log = logging.getLogger("statusbot.endpoint")

# Returns None when healthy, else the reason it is not.
HealthCheck = Callable[[], Awaitable[str | None]]

# How long a health result is reused. A failure is checked again sooner, so a repaired
# database shows as healthy within a second.
HEALTHY_FOR = 5.0
UNHEALTHY_FOR = 1.0

# The request head: aiohttp's defaults allow 128 header lines of 8 KB (1 MB a connection); ours, 128 KB.
MAX_LINE = 2048
MAX_FIELD = 4096
MAX_HEADERS = 32
# Connects waiting to be accepted: a burst of them is accepted (and evicted or refused) instead of
# having the kernel drop them, which would make a real client wait a second to try again.
BACKLOG = 1024


def _health_kept_for(problem: str | None) -> float:
    return HEALTHY_FOR if problem is None else UNHEALTHY_FOR


class EndpointError(StatusbotError):
    """The endpoint cannot listen where it was told to."""


class _NoClientBytes(logging.Filter):
    """aiohttp logs a malformed request at ERROR with the parser's error, which quotes the bytes
    the client sent: a client could write lines into our log. The client had its 400; drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], HttpProcessingError))


server_log = logging.getLogger("statusbot.endpoint.server")
server_log.addFilter(_NoClientBytes())


class Endpoint:
    def __init__(self, address: str, metrics: Metrics, health: HealthCheck, clock: Clock | None = None,
                 limits: ConnectionLimits | None = None, *, board: BoardSource | None = None,
                 token: str | None = None):
        """`clock` times the reuse of health results and boards (the event loop's by default);
        `board` builds the status board (none: no board is served); `token` is `[bot] http_token`."""
        self.host, _, port = address.rpartition(":")
        self.host = self.host or "127.0.0.1"
        self.port = int(port)
        self.metrics = metrics
        clock = clock or LoopClock()
        self.health = Reused(health, clock, _health_kept_for)
        self.access = Access(token)
        self.views = BoardViews(board, clock, self.access.guarded) if board is not None else None
        self.limits = limits or ConnectionLimits()
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._connections: Connections | None = None

    async def start(self) -> None:
        app = web.Application(middlewares=[self._answering])
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        if self.views is not None:
            self.views.add_routes(app)
        runner = self._runner = web.AppRunner(app, access_log=None, logger=server_log, max_line_size=MAX_LINE,
                                              max_field_size=MAX_FIELD, max_headers=MAX_HEADERS)
        await runner.setup()
        assert runner.server is not None
        connections = self._connections = Connections(runner.server, self.limits, self.metrics.http_dropped)
        try:
            self._server = await asyncio.get_running_loop().create_server(
                connections.protocol, self.host, self.port, backlog=BACKLOG)
        except OSError as exc:
            await runner.cleanup()
            raise EndpointError(f"cannot serve http on {self.host}:{self.port}: {exc.strerror or exc}") from None
        served = "/healthz, /metrics and the status board" if self.views else "/healthz and /metrics"
        guarded = ", behind [bot] http_token" if self.access.guarded else ""
        log.info("serving %s on http://%s:%d%s", served, self.host, self.port, guarded)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._connections is not None:
            self._connections.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _answering(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        """aiohttp calls the application once a request head is complete: its deadline ends there.
        The answer closes the connection, so an idle keep-alive connection never holds a place."""
        if self._connections is not None and request.transport is not None:
            self._connections.answering(request.transport)
        try:
            response = self.access.refusal() if not self.access.allows(request) else await handler(request)
        except web.HTTPException as exc:  # 404, 405: answers too
            exc.headers.update(SECURITY_HEADERS)
            exc.force_close()
            raise
        response.headers.update(SECURITY_HEADERS)
        response.force_close()
        return response

    async def _healthz(self, request: web.Request) -> web.Response:
        problem = await self.health()
        if problem is None:
            return web.Response(text="ok\n")
        return web.Response(status=503, text=f"unhealthy: {problem}\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.exposition())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        response.charset = "utf-8"
        return response
