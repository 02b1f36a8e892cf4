"""The optional HTTP endpoint (`[bot] http = "127.0.0.1:9108"`): /healthz and /metrics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics
from bot.model import StatusbotError

log = logging.getLogger("statusbot.endpoint")

# Returns None when healthy, else the reason it is not.
HealthCheck = Callable[[], Awaitable[str | None]]


class EndpointError(StatusbotError):
    """The endpoint cannot listen where it was told to."""


class Endpoint:
    def __init__(self, address: str, metrics: Metrics, health: HealthCheck):
        self.host, _, port = address.rpartition(":")
        self.port = int(port)
        self.metrics = metrics
        self.health = health
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host or "127.0.0.1", self.port).start()
        except OSError as exc:
            await self._runner.cleanup()
            raise EndpointError(f"cannot serve http on {self.host}:{self.port}: {exc.strerror or exc}") from None
        log.info("serving /healthz and /metrics on http://%s:%d", self.host or "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

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
