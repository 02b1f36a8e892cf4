#!/usr/bin/env python3
"""Client CPU per request, httpx vs aiohttp, against a local nginx (or any URL with an ETag).

    python bench/http_clients.py --url http://127.0.0.1:PORT/p/0/api/v2/summary.json

For each client, way of reading and concurrency: CPU time of this process (user + system, all
threads) over `--requests` requests, divided by the requests, after a warm-up. New connections
are counted from nginx's stub_status when the server has one (`/nginx_status`).

Ways ("variant"):
  httpx-stream        what bot/fetch.py first did: `client.stream(...)`, a 304 left unread, a 200 read in chunks
  httpx-stream-aread  the same, but the 304's (empty) body read before the stream is closed
  httpx-get           `client.get(...)`: body always read
  aiohttp             `session.get(...)` with the body read (`read()`), as bot/fetch.py does
Modes: `304` (If-None-Match with the current ETag), `200json` (plain GET, json.loads of the body).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import urllib.request


def stub(url: str) -> int | None:
    base = re.match(r"(https?://[^/]+)", url).group(1)  # type: ignore[union-attr]
    try:
        with urllib.request.urlopen(f"{base}/nginx_status", timeout=5) as answer:
            match = re.search(r"\s(\d+)\s+(\d+)\s+(\d+)\s", answer.read().decode())
        return int(match.group(1)) if match else None
    except OSError:
        return None


def current_etag(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        answer.read()
        return answer.headers["ETag"]


def make_httpx(variant: str, max_connections: int):
    import httpx

    client = httpx.AsyncClient(timeout=20, limits=httpx.Limits(max_connections=max_connections,
                                                               max_keepalive_connections=max_connections))

    async def fetch(url: str, headers: dict[str, str], parse: bool) -> int:
        if variant == "httpx-get":
            response = await client.get(url, headers=headers)
            body = response.content
        else:
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    if variant == "httpx-stream-aread":
                        await response.aread()
                    return 304
                chunks = [chunk async for chunk in response.aiter_bytes()]
                body = b"".join(chunks)
        if parse:
            json.loads(body)
        return response.status_code

    return fetch, client.aclose


def make_aiohttp(variant: str, max_connections: int):
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max_connections),
                                    timeout=aiohttp.ClientTimeout(total=20))

    async def fetch(url: str, headers: dict[str, str], parse: bool) -> int:
        async with session.get(url, headers=headers) as response:
            body = await response.read()
            if parse and response.status == 200:
                json.loads(body)
            return response.status

    return fetch, session.close


MAKERS = {"aiohttp": make_aiohttp}


async def measure(variant: str, mode: str, concurrency: int, url: str, requests: int, etag: str) -> dict:
    maker = MAKERS.get(variant, make_httpx)
    fetch, close = maker(variant, max(concurrency, 1))
    headers = {"If-None-Match": etag} if mode == "304" else {}
    parse = mode == "200json"
    expected = 304 if mode == "304" else 200

    async def worker(count: int) -> int:
        bad = 0
        for _ in range(count):
            if await fetch(url, headers, parse) != expected:
                bad += 1
        return bad

    async def batch(total: int) -> int:
        per = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]
        return sum(await asyncio.gather(*(worker(n) for n in per)))

    await batch(max(concurrency * 4, 200))  # warm-up: connections open, code paths hot
    accepts0 = stub(url)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    bad = await batch(requests)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    accepts1 = stub(url)
    await close()
    return {
        "client": variant, "mode": mode, "concurrency": concurrency, "requests": requests,
        "cpu_us_per_request": round(1e6 * (cpu1 - cpu0) / requests, 1),
        "requests_per_s": round(requests / (wall1 - wall0), 1),
        "new_connections": None if accepts0 is None or accepts1 is None else accepts1 - accepts0 - 1,
        "unexpected_status": bad,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--variants", default="httpx-stream,httpx-stream-aread,httpx-get,aiohttp")
    parser.add_argument("--modes", default="304,200json")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    args = parser.parse_args(argv)
    etag = current_etag(args.url)
    rows = []
    for mode in args.modes.split(","):
        for variant in args.variants.split(","):
            if mode == "200json" and variant == "httpx-stream-aread":
                continue  # same as httpx-stream for a 200
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                row = asyncio.run(measure(variant, mode, concurrency, args.url, args.requests, etag))
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
                else:
                    print(f"{mode:8} {variant:20} c={concurrency:<3} {row['cpu_us_per_request']:8,.0f} µs/request"
                          f"  {row['requests_per_s']:8,.0f} req/s  new connections {row['new_connections']}"
                          f"  unexpected {row['unexpected_status']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
