"""The review's attacks on the running bot's endpoint, from outside: hundreds of slow clients (which
held one file descriptor each until /healthz was refused) and a flood of /healthz (which wrote the
database on every request and grew its write-ahead log to 4 MB)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot_process import BotProcess
from tests.eventually import eventually_async
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port
from tests.world import World

HOST = "127.0.0.1"
SLOW_CLIENTS = 500
CONNECTIONS = 64  # the cap README documents
HEALTHZ_WITHIN = 0.5  # seconds; Docker's HEALTHCHECK gives up after 3
WAL_FRAME = 4096 + 24  # what one committed write of one page adds to the write-ahead log


class ServingBot(BotProcess):
    port: int

    def open_fds(self) -> int:
        assert self._process is not None  # BotProcess keeps the Popen private; its pid is all we need
        return len(os.listdir(f"/proc/{self._process.pid}/fd"))


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[ServingBot]:
    """The bot watching two quiet pages, serving /healthz and /metrics."""
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        world = World(tmp_path, pages, receiver)
        port = free_port()
        config = world.config(settings=f'http = "{HOST}:{port}"')
        with ServingBot("run", "--config", str(config), cwd=tmp_path) as running:
            running.port = port
            running.wait_for_output("serving /healthz")
            world.settle()  # its first polls are written: from here a quiet bot writes nothing
            yield running


async def ask(port: int, path: str = "/healthz") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: statusbot\r\n\r\n".encode())
    try:
        head, _, body = (await asyncio.wait_for(reader.read(), 10)).partition(b"\r\n\r\n")
    finally:
        writer.close()
    return int(head.split()[1]), body


class Slowloris:
    """Slow clients as the slowloris tool keeps them: each sends part of a request head and stalls;
    every round, the ones that were cut off connect again."""

    def __init__(self, port: int, clients: int):
        self.port = port
        self.clients = clients
        self.held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def round(self) -> None:
        self.held = [(reader, writer) for reader, writer in self.held if not _cut_off(reader, writer)]
        for _, writer in self.held:
            with contextlib.suppress(OSError):
                writer.write(b"X")  # a byte more of its never-ending header
                await writer.drain()
        await asyncio.gather(*(self._connect() for _ in range(self.clients - len(self.held))))

    async def _connect(self) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: statusbot\r\nX-Slow: ")
        self.held.append((reader, writer))

    async def cut_off_to(self, most: int) -> None:
        """Wait until the bot has cut off all but `most` of them, by eviction: sooner than the
        5 s it gives a client to send its request."""

        async def few_left() -> bool:
            return sum(not _cut_off(reader, writer) for reader, writer in self.held) <= most

        await eventually_async(few_left, within=3, what=f"all but {most} slow clients cut off")

    def close(self) -> None:
        for _, writer in self.held:
            writer.close()


def _cut_off(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """Closed by the server: an end of stream (FIN) or a reset."""
    return reader.at_eof() or reader.exception() is not None or writer.is_closing()


async def test_healthz_answers_within_half_a_second_beside_hundreds_of_slow_clients(bot):
    idle_fds = bot.open_fds()
    attack = Slowloris(bot.port, SLOW_CLIENTS)
    latencies, fds = [], []
    try:
        for _ in range(5):
            await attack.round()
            await attack.cut_off_to(CONNECTIONS)
            for _ in range(4):
                started = time.monotonic()
                assert (await ask(bot.port))[0] == 200
                latencies.append(time.monotonic() - started)
                fds.append(bot.open_fds())
    finally:
        attack.close()
    assert max(latencies) < HEALTHZ_WITHIN, f"/healthz took up to {max(latencies):.3f}s"
    # The cap on connections, and a few sockets evicted but not yet closed.
    assert max(fds) <= idle_fds + CONNECTIONS + 16, f"{max(fds)} open files, {idle_fds} when idle"
    status, metrics = await ask(bot.port, "/metrics")
    assert status == 200
    assert b'statusbot_http_connections_dropped_total{reason="evicted"}' in metrics


async def test_a_flood_of_healthz_barely_writes_the_database(bot, tmp_path: Path):
    wal = tmp_path / "state.db-wal"
    before = wal.stat().st_size
    for _ in range(1_000):
        assert (await ask(bot.port))[0] == 200
    # One write each time the cached result expires (every 5 s); uncached, the flood grew the log 4 MB.
    assert wal.stat().st_size - before <= 4 * WAL_FRAME
