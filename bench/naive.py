"""The pollers the bot is compared with: what status monitors without the bot's engine do.

Every `interval` seconds, for every page: a GET of summary.json, `json.loads` of the whole body,
and a comparison of what it cares about (incident id -> latest update id, component statuses)
with the previous poll. Clients (`--client`):

  aiohttp   one shared session with the bot's connection limit: the naive poller
  httpx     one shared httpx client
  onefile   a new httpx client for every poll, as the one-file monitors are written
            (`async with httpx.AsyncClient() as client: r = await client.get(url)`), at most
            as many at once as the others have connections

    python bench/naive.py --urls urls.txt --interval 10 --duration 60 [--client aiohttp|httpx|onefile] [--conditional]

`--conditional` is not naive: it sends If-None-Match and parses only a 200 (pages without an
ETag are still parsed every time). On aiohttp it is a bare conditional GET with none of the bot's
engine: the floor the bot's CPU per request is measured against.

Prints one JSON line at the end: {"polls": n, "not_modified": n, "errors": n, "changes": n}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any


def fingerprint(document: dict[str, Any]) -> tuple:
    incidents = tuple(sorted(
        (i.get("id"), (i.get("incident_updates") or [{}])[0].get("id"), i.get("status"))
        for i in document.get("incidents") or []
    ))
    components = tuple((c.get("id"), c.get("status")) for c in document.get("components") or [])
    return incidents, components


class Counters:
    def __init__(self) -> None:
        self.polls = 0
        self.not_modified = 0
        self.errors = 0
        self.changes = 0


async def _page_loop(get: Get, url: str, interval: float, stop: asyncio.Event, counters: Counters,
                     max_polls: int) -> None:
    previous = None
    etag: list[str | None] = [None]  # the page's last ETag, sent back by a conditional `get`
    delay = random.uniform(0, interval)  # spread the pages over the interval
    while True:
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return
        except TimeoutError:
            pass
        try:
            body = await get(url, etag)
            counters.polls += 1
            if counters.polls == max_polls:
                stop.set()
            if body is None:  # 304: only with --conditional
                counters.not_modified += 1
                continue
            current = fingerprint(json.loads(body))
            if previous is not None and current != previous:
                counters.changes += 1
            previous = current
        except Exception:
            counters.errors += 1
        finally:
            delay = interval * random.uniform(0.9, 1.1)


def _conditional(etag: list[str | None], conditional: bool) -> dict[str, str]:
    return {"If-None-Match": etag[0]} if conditional and etag[0] else {}


def _httpx_body(response: Any, etag: list[str | None]) -> bytes | None:
    """An httpx response's body; None for a 304. Keeps the page's ETag for the next poll."""
    if response.status_code == 304:
        return None
    response.raise_for_status()
    etag[0] = response.headers.get("ETag")
    return bytes(response.content)


Get = Callable[[str, list[str | None]], Awaitable[bytes | None]]
Close = Callable[[], Awaitable[None]]


def _shared_httpx(conditional: bool, max_connections: int) -> tuple[Get, Close]:
    import httpx

    session = httpx.AsyncClient(timeout=20, limits=httpx.Limits(max_connections=max_connections,
                                                               max_keepalive_connections=max_connections))

    async def get(url: str, etag: list[str | None]) -> bytes | None:
        return _httpx_body(await session.get(url, headers=_conditional(etag, conditional)), etag)

    return get, session.aclose


def _onefile(conditional: bool, max_connections: int) -> tuple[Get, Close]:
    import httpx

    # As many clients open at once as the others have connections: unbounded, a poller that falls
    # behind holds thousands of clients (each with its own TLS context) and measures its swapping.
    slots = asyncio.Semaphore(max_connections)

    async def get(url: str, etag: list[str | None]) -> bytes | None:
        async with slots, httpx.AsyncClient(timeout=20) as once:
            return _httpx_body(await once.get(url, headers=_conditional(etag, conditional)), etag)

    async def close() -> None:
        return None

    return get, close


def _shared_aiohttp(conditional: bool, max_connections: int) -> tuple[Get, Close]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max_connections),
                                    timeout=aiohttp.ClientTimeout(total=20))

    async def get(url: str, etag: list[str | None]) -> bytes | None:
        async with session.get(url, headers=_conditional(etag, conditional)) as response:
            if response.status == 304:
                await response.read()
                return None
            response.raise_for_status()
            etag[0] = response.headers.get("ETag")
            return await response.read()

    return get, session.close


CLIENTS = {"aiohttp": _shared_aiohttp, "httpx": _shared_httpx, "onefile": _onefile}


async def run(urls: list[str], interval: float, duration: float, client: str, conditional: bool = False,
              max_connections: int = 100, max_polls: int = 0) -> Counters:
    """Poll until `duration` seconds passed (0: no limit), `max_polls` polls were made (0: no
    limit), or SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    counters = Counters()
    get, close = CLIENTS[client](conditional, max_connections)
    tasks = [asyncio.create_task(_page_loop(get, url, interval, stop, counters, max_polls)) for url in urls]
    if duration > 0:
        loop.call_later(duration, stop.set)
    await stop.wait()
    await asyncio.gather(*tasks, return_exceptions=True)
    await close()
    return counters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", required=True, help="file with one summary.json URL per line")
    parser.add_argument("--interval", type=float, default=60)
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0: until SIGTERM")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="aiohttp")
    parser.add_argument("--conditional", action="store_true", help="send If-None-Match; parse only a 200")
    args = parser.parse_args(argv)
    with open(args.urls) as handle:
        urls = [line.strip() for line in handle if line.strip()]
    started = time.monotonic()
    counters = asyncio.run(run(urls, args.interval, args.duration, args.client, args.conditional))
    print(json.dumps({"polls": counters.polls, "not_modified": counters.not_modified, "errors": counters.errors,
                      "changes": counters.changes,
                      "seconds": round(time.monotonic() - started, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
