"""A status-page server that misbehaves at the byte level: one path prefix per failure mode.

Raw asyncio sockets, served from a daemon thread with its own event loop, so it can lie about
lengths, trickle, reset connections, stream far past any cap and send gzip bombs; in-process
tests and a bot started as a subprocess can both use it. Every path under `/<mode>/` misbehaves
the same way, so a Statuspage provider whose url is `server.page_url(mode)` fails on
summary.json, incidents.json and scheduled-maintenances.json alike.

    with HostileServer() as hostile:
        url = hostile.page_url("gzip-bomb")
        ...
        hostile.hits("gzip-bomb")   # what was asked, and how much of each body went out
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import functools
import itertools
import json
import random
import socket
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self

HUGE_BYTES = 50_000_000  # the streamed body: ten times the bot's default cap
BOMB_BYTES = 1 << 30  # the gzip bomb, decompressed; about 1 MB on the wire
RETRY_AFTER = 30  # what the rate-limited mode asks for, in seconds
CROWDED_INCIDENTS = 16_000  # unresolved incidents on the crowded page, about 4.3 MB of JSON
_CROWDED_NEWEST = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
_CHUNK = 64 * 1024


@dataclasses.dataclass
class Hit:
    """One request, as the server answered it (so far)."""

    mode: str
    path: str
    sent: int = 0  # body bytes written
    finished: bool = False  # the answer went out whole


class Exchange:
    """One request being answered; body bytes written through it are counted on its Hit."""

    def __init__(self, writer: asyncio.StreamWriter, hit: Hit, lock: threading.Lock):
        self.writer = writer
        self.hit = hit
        self._lock = lock

    @property
    def document(self) -> str:
        """The last path segment: summary.json, incidents.json, ..."""
        return self.hit.path.rsplit("/", 1)[-1]

    async def head(self, status: str, headers: Mapping[str, str]) -> None:
        lines = [f"HTTP/1.1 {status}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()

    async def body(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()  # never buffer more than the socket takes: memory stays flat here too
        with self._lock:
            self.hit.sent += len(data)

    async def answer(self, status: str, body: bytes, content_type: str = "application/json",
                     headers: Mapping[str, str] | None = None) -> None:
        await self.head(status, {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})})
        await self.body(body)


Mode = Callable[[Exchange], Awaitable[None]]


async def _http_500(x: Exchange) -> None:
    await x.answer("500 Internal Server Error", b'{"error": "internal"}')


async def _rate_limited(x: Exchange) -> None:
    await x.answer("429 Too Many Requests", b'{"error": "slow down"}', headers={"Retry-After": str(RETRY_AFTER)})


async def _garbage(x: Exchange) -> None:
    await x.answer("200 OK", random.Random(x.document).randbytes(4096))


async def _html(x: Exchange) -> None:
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    await x.answer("200 OK", page, content_type="text/html")


async def _truncated(x: Exchange) -> None:
    await x.answer("200 OK", b'{"page": {"id": "p1", "name": "Acme"}, "components": [{"id": "api", "na')


async def _huge(x: Exchange) -> None:
    """A valid-looking document streamed chunk by chunk, no Content-Length: only counting stops it."""
    await x.head("200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    component = b'{"id": "c0000", "name": "Component", "status": "operational"},'
    components = component * (_CHUNK // len(component))
    await x.body(_chunked(b'{"components": ['))
    while x.hit.sent < HUGE_BYTES:
        await x.body(_chunked(components))
    await x.body(_chunked(b"{}]}") + b"0\r\n\r\n")


def _chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


@functools.cache
def gzip_bomb() -> bytes:
    """A JSON object padded with a gigabyte of spaces, gzipped: valid JSON if anyone read it all.

    Built in a tenth of a second, not two: a full flush resets the compressor, so every megabyte
    of spaces compresses to the same bytes, compressed once and repeated. The gzip header and
    trailer (CRC-32 and length of the whole) are written by hand around the raw deflate stream.
    """
    prefix, suffix, spaces = b'{"components": ', b"[]}", b" " * (1 << 20)
    chunks = BOMB_BYTES // len(spaces)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(spaces) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(suffix) + deflate.flush()
    crc = zlib.crc32(prefix)
    for _ in range(chunks):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + chunks * len(spaces) + len(suffix)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no time, best compression, unknown OS
    return header + head + block * chunks + tail + struct.pack("<II", crc, size & 0xFFFFFFFF)


async def _gzip_bomb(x: Exchange) -> None:
    await x.answer("200 OK", gzip_bomb(), headers={"Content-Encoding": "gzip"})


async def _trickle(x: Exchange) -> None:
    """A byte a second: every read is quick, only a deadline on the whole exchange ends it."""
    body = b'{"components": []}'.ljust(1000)
    await x.head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))})
    for byte in body:
        await x.body(bytes([byte]))
        await asyncio.sleep(1.0)


async def _reset(x: Exchange) -> None:
    """A tenth of the promised body, then a TCP reset (SO_LINGER 0) rather than a clean close."""
    await x.head("200 OK", {"Content-Type": "application/json", "Content-Length": "10000"})
    await x.body(b'{"components": [' + b" " * 984)
    x.writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    x.writer.transport.abort()


async def _redirect_loop(x: Exchange) -> None:
    await x.answer("302 Found", b"", headers={"Location": x.hit.path})


async def _bad_utf8(x: Exchange) -> None:
    await x.answer("200 OK", b'{"page": {"id": "p1", "name": "Acme \xff\xfe\xc3("}, "components": [], "incidents": []}')


def wrong_types(document: str) -> dict[str, Any]:
    """Statuspage's shapes with a wrong type in every field (per document, so both the containers
    and the items inside them are wrong)."""
    if document == "summary.json":
        return {"page": "Acme", "status": ["none"], "components": "API, Website", "incidents": 3,
                "scheduled_maintenances": {"id": "m1"}}
    items = [
        {"id": ["i1"], "name": {"en": "API errors"}, "status": {"phase": "investigating"}, "impact": 3,
         "created_at": 1767225600, "updated_at": [], "shortlink": False, "components": "API",
         "incident_updates": "Investigating"},
        {"id": {"value": "i2"}, "incident_updates": [
            {"id": ["u1"], "status": {"s": 1}, "body": ["text"], "created_at": {"t": 0},
             "affected_components": "API"}]},
        {"id": 1.5, "status": None}, {"id": True}, "i3", 42, None, [],
    ]
    key = "scheduled_maintenances" if document == "scheduled-maintenances.json" else "incidents"
    return {"page": ["Acme"], key: items}


async def _wrong_types(x: Exchange) -> None:
    await x.answer("200 OK", json.dumps(wrong_types(x.document)).encode())


async def _empty(x: Exchange) -> None:
    await x.answer("200 OK", b"")


def crowded_item(number: int) -> dict[str, Any]:
    """One small unresolved incident with one update, about 270 bytes of JSON; a higher number
    is a minute older."""
    moment = (_CROWDED_NEWEST - datetime.timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": f"c{number:06d}", "name": f"Queue delay {number}", "status": "investigating", "impact": "minor",
            "created_at": moment, "updated_at": moment,
            "incident_updates": [{"id": f"u{number:06d}", "status": "investigating", "body": "Delays.",
                                  "created_at": moment}]}


@functools.cache
def crowded_items() -> bytes:
    """The crowded page's incidents, newest first, as the inside of a JSON list: built once."""
    return ",".join(json.dumps(crowded_item(n), separators=(",", ":")) for n in range(CROWDED_INCIDENTS)).encode()


_VERSIONS = itertools.count()  # the crowded page's answers: every one differs from the last


async def _crowded(x: Exchange) -> None:
    """A valid page listing 16,000 unresolved incidents, changed on every request (its
    `updated_at`): what an attacker's page does to make every poll parse it all again."""
    page = json.dumps({"id": "crowded", "name": "Crowded", "updated_at": str(next(_VERSIONS))}).encode()
    body = b'{"page":%s,"components":[],"scheduled_maintenances":[],"incidents":[%s]}' % (page, crowded_items())
    await x.answer("200 OK", body)


# Pages that answer well, at a cost: served like the failure modes, one path prefix each.
HEAVY: dict[str, Mode] = {"crowded": _crowded}

MODES: dict[str, Mode] = {
    "http-500": _http_500,
    "rate-limited": _rate_limited,
    "garbage": _garbage,
    "html": _html,
    "truncated": _truncated,
    "huge": _huge,
    "gzip-bomb": _gzip_bomb,
    "trickle": _trickle,
    "reset": _reset,
    "redirect-loop": _redirect_loop,
    "bad-utf8": _bad_utf8,
    "wrong-types": _wrong_types,
    "empty": _empty,
}


class HostileServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the hits, written by the server's thread
        self._hits: list[Hit] = []
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hostile-pages", daemon=True)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def page_url(self, mode: str) -> str:
        """The base URL of a page that fails this way on every document."""
        if mode not in MODES and mode not in HEAVY:
            raise KeyError(mode)
        return f"{self.url}/{mode}"

    def hits(self, mode: str | None = None) -> list[Hit]:
        with self._lock:
            return [dataclasses.replace(hit) for hit in self._hits if mode is None or hit.mode == mode]

    def start(self) -> Self:
        gzip_bomb()  # built before serving: a first request must not wait for it
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("hostile server did not start")
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self._ready.set()
        self._loop.run_forever()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()  # trickles and streams in progress
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._answer(reader, writer)
        except asyncio.CancelledError:
            # stop(): end quietly, since Python 3.11's stream callback chokes on a cancelled task.
            writer.transport.abort()
        finally:
            self._tasks.discard(task)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._exchange(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client hung up: for most modes, that is the point
        finally:
            writer.close()  # flushes what is buffered first; a no-op after a reset
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()  # collects a reset's error, which Python 3.11 would log as never retrieved

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        path = request.split(b" ", 2)[1].decode("latin-1")
        mode = path.split("/")[1]
        hit = Hit(mode, path)
        with self._lock:
            self._hits.append(hit)
        exchange = Exchange(writer, hit, self._lock)
        answer = MODES.get(mode) or HEAVY.get(mode)
        if answer is None:
            await exchange.answer("404 Not Found", b'{"error": "no such mode"}')
        else:
            await answer(exchange)
        with self._lock:
            hit.finished = not writer.is_closing()
