"""`statusbot demo`: a whole incident lifecycle in about twenty seconds, with no network.

A local Statuspage-like page (on 127.0.0.1, a free port) plays a scripted incident while the real
pipeline — fetch, detect, SQLite outbox, delivery — polls it every second and prints each change
to the console, exactly as it would for a real page.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import BotSettings, Config, ProviderConfig, channel_with_defaults
from bot.model import Destination
from bot.service import Service

# (seconds after start, what happens). Each step is one change the bot must announce.
SCRIPT: tuple[tuple[float, str, dict[str, str]], ...] = (
    (2, "component", {"status": "degraded_performance"}),
    (4, "open", {"status": "investigating", "body": "We are investigating elevated error rates on the API."}),
    (8, "update", {"status": "identified", "body": "A faulty configuration change was identified; rolling back."}),
    (12, "update", {"status": "monitoring", "body": "The rollback is complete. We are monitoring error rates."}),
    (15, "component", {"status": "operational"}),
    (17, "update", {"status": "resolved", "body": "This incident has been resolved. Sorry for the trouble."}),
)
DURATION = 20.0
# Steps are 2 s apart at speed 1; at MAX_SPEED, 0.2 s: still two polls (the interval is 1/speed)
# between them, so each change is announced on its own, in order.
MAX_SPEED = 10.0


class DemoPage:
    """The page's state, rendered as Statuspage's summary, incidents and maintenances documents."""

    def __init__(self) -> None:
        self.component: dict[str, Any] = {"id": "demo-api", "name": "Demo API", "status": "operational"}
        self.incident: dict[str, Any] | None = None
        self.read = asyncio.Event()  # set when the bot first fetched the page: its baseline

    def apply(self, action: str, change: dict[str, str]) -> None:
        now = datetime.now(UTC).isoformat()
        if action == "component":
            self.component = {**self.component, "status": change["status"], "updated_at": now}
            return
        if action == "open":
            self.incident = {
                "id": "demo-incident", "name": "Elevated API error rates", "impact": "major", "created_at": now,
                "shortlink": "https://example.com/demo-incident", "incident_updates": [],
                "components": [self.component],
            }
        assert self.incident is not None
        updates = self.incident["incident_updates"]
        updates.insert(0, {"id": f"demo-update-{len(updates) + 1}", "status": change["status"],
                           "body": change["body"], "created_at": now})
        self.incident.update(status=change["status"], updated_at=now)

    def documents(self) -> dict[str, dict[str, Any]]:
        page = {"id": "demo", "name": "Demo", "url": "https://example.com"}
        incidents = [self.incident] if self.incident else []
        unresolved = [i for i in incidents if i["status"] != "resolved"]
        return {
            "summary.json": {"page": page, "components": [self.component], "incidents": unresolved,
                             "scheduled_maintenances": []},
            "incidents.json": {"page": page, "incidents": incidents},
            "scheduled-maintenances.json": {"page": page, "scheduled_maintenances": []},
        }


async def serve(page: DemoPage) -> tuple[web.AppRunner, str]:
    async def document(request: web.Request) -> web.Response:
        body = page.documents().get(request.match_info["name"])
        page.read.set()
        return web.json_response(body) if body is not None else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/api/v2/{name}", document)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def demo_config(url: str, database: Path, destinations: dict[str, Destination], interval: float) -> Config:
    console = destinations["console"]
    return Config(
        bot=BotSettings(database=str(database), interval=interval, first_run="active"),
        providers=(ProviderConfig(name="demo", title="Demo Cloud", kind="statuspage", url=url, interval=interval),),
        channels=(channel_with_defaults("console", console),),
        source="statusbot demo",
        secrets=frozenset(),
    )


async def run_demo(make_service: Callable[[Config], Service], destinations: dict[str, Destination],
                   speed: float = 1.0) -> int:
    """Play the script (`speed` times faster) against the real service; the service's exit status."""
    page = DemoPage()
    runner, url = await serve(page)
    with tempfile.TemporaryDirectory(prefix="statusbot-demo-") as folder:
        config = demo_config(url, Path(folder) / "demo.db", destinations, interval=1.0 / speed)
        service = make_service(config)
        running = asyncio.create_task(service.run())
        playing = asyncio.create_task(_play(page, speed))
        try:
            # A service that fails ends the demo at once, not after the script.
            await asyncio.wait([running, playing], return_when=asyncio.FIRST_COMPLETED)
        finally:
            playing.cancel()
            service.stop.set()
            status = await running
            await runner.cleanup()
    return status


async def _play(page: DemoPage, speed: float) -> None:
    # The script starts once the bot has read the page as it was: however fast it plays, the
    # first poll sees a calm page, and every later step is a change.
    await page.read.wait()
    started = asyncio.get_running_loop().time()
    for at, action, change in SCRIPT:
        await _sleep_until(started + at / speed)
        page.apply(action, change)
    await _sleep_until(started + DURATION / speed)


async def _sleep_until(moment: float) -> None:
    await asyncio.sleep(max(moment - asyncio.get_running_loop().time(), 0))
