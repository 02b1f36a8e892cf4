"""The HTTP endpoint under hostile clients, in process on real sockets: deadlines on slow clients,
the cap on connections, one health check per period however many ask, and a log clients cannot write to.
The attacks on the running bot (hundreds of slow clients, a flood of /healthz) are in test_endpoint_bot.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.endpoint import HEALTHY_FOR, UNHEALTHY_FOR, Endpoint, HealthCheck
from bot.endpoint_connections import ConnectionLimits
from bot.metrics import Metrics
from bot.state import Store
from bot.store_base import StateError
from tests.eventually import eventually_async
from tests.filesystem import read_only
from tests.ports import free_port

HOST = "127.0.0.1"
WITHIN = 10.0  # the longest a test waits for an answer or a close: a failure, not a hang
WAL_FRAME = 4096 + 24  # what one committed write of one page adds to the write-ahead log


class HandClock:
    """Time that moves only when the test moves it (the health cache only reads it)."""

    def __init__(self) -> None:
        self.time = 1000.0

    def now(self) -> float:
        return self.time


class Probes:
    """The endpoint's health input: the real database's write probe, counted."""

    def __init__(self, store: Store):
        self.store = store
        self.calls = 0

    async def __call__(self) -> str | None:
        self.calls += 1
        try:
            await self.store.probe_write()
        except StateError as exc:
            return str(exc)
        return None


class GatedHealth:
    """A health check that is healthy once the test opens its gate; counted."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.calls = 0

    async def __call__(self) -> str | None:
        self.calls += 1
        await self.gate.wait()
        return None

    async def started(self) -> None:
        async def called() -> bool:
            return self.calls > 0

        await eventually_async(called, what="the health check started")


async def healthy() -> str | None:
    return None


@contextlib.asynccontextmanager
async def serving(health: HealthCheck, limits: ConnectionLimits | None = None, metrics: Metrics | None = None,
                  clock: HandClock | None = None) -> AsyncIterator[Endpoint]:
    endpoint = Endpoint(f"{HOST}:{free_port()}", metrics or Metrics(), health, clock, limits)
    await endpoint.start()
    try:
        yield endpoint
    finally:
        await endpoint.stop()


async def connect(endpoint: Endpoint, sends: bytes = b"") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(HOST, endpoint.port)
    writer.write(sends)
    return reader, writer


def request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: statusbot\r\n\r\n".encode()


async def answer(reader: asyncio.StreamReader) -> tuple[int, str]:
    """The status and body of the answer (the endpoint closes each connection after it)."""
    head, _, body = (await asyncio.wait_for(reader.read(), WITHIN)).partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


async def ask(endpoint: Endpoint, path: str = "/healthz") -> tuple[int, str]:
    reader, writer = await connect(endpoint, request(path))
    try:
        return await answer(reader)
    finally:
        writer.close()


async def cut_off(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before it closed the connection."""
    try:
        return await asyncio.wait_for(reader.read(), WITHIN)
    except ConnectionResetError:
        return b""


def dropped(metrics: Metrics, reason: str) -> float:
    return metrics.registry.get_sample_value("statusbot_http_connections_dropped_total", {"reason": reason}) or 0.0


# ---------------------------------------------------------------- slow clients


@pytest.mark.parametrize("sends_a_byte_every", [None, 0.02], ids=["silent", "trickling"])
async def test_a_client_too_slow_to_send_its_request_is_cut_off_at_the_deadline(sends_a_byte_every):
    metrics = Metrics()
    async with serving(healthy, ConnectionLimits(head_timeout=0.3), metrics) as endpoint:
        started = time.monotonic()
        reader, writer = await connect(endpoint, b"GET /healthz HTTP/1.1\r\nX-Slow: ")

        async def trickle() -> None:
            while sends_a_byte_every and not writer.is_closing():
                writer.write(b"z")
                await asyncio.sleep(sends_a_byte_every)

        trickling = asyncio.create_task(trickle())
        assert await cut_off(reader) == b"", "no answer to a request that never ended"
        elapsed = time.monotonic() - started
        trickling.cancel()
        writer.close()
        assert 0.3 <= elapsed < 2.0, f"cut off after {elapsed:.2f}s, the deadline is 0.3s"
        assert dropped(metrics, "timeout") == 1
        assert await ask(endpoint) == (200, "ok\n")


async def test_a_client_that_does_not_read_its_answer_is_cut_off():
    metrics = Metrics()
    for i in range(12_000):  # 3 MB of /metrics: more than the sockets buffer for a reader that stalls
        metrics.polls.labels(f"provider-{i:0200d}", "unchanged").inc()
    whole = len(metrics.exposition())
    async with serving(healthy, ConnectionLimits(answer_timeout=0.5), metrics) as endpoint:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(client, (HOST, endpoint.port))
        await loop.sock_sendall(client, request("/metrics"))

        async def timed_out() -> bool:
            return dropped(metrics, "timeout") == 1

        await eventually_async(timed_out, what="the stalled reader cut off")
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := await loop.sock_recv(client, 65536):
                received += len(chunk)
        client.close()
        assert received < whole, "the answer was cut short"
        assert (await ask(endpoint, "/metrics"))[0] == 200


# ---------------------------------------------------------------- the cap


async def test_a_full_endpoint_evicts_the_client_that_waited_longest_for_its_request():
    metrics = Metrics()
    async with serving(healthy, ConnectionLimits(most=3), metrics) as endpoint:
        partial = b"GET /healthz HTTP/1.1\r\n"
        first, second, third = [await connect(endpoint, partial) for _ in range(3)]
        assert await ask(endpoint) == (200, "ok\n"), "a fourth client is answered"
        assert await cut_off(first[0]) == b"", "the oldest waiting client made room"
        second[1].write(b"Host: statusbot\r\n\r\n")
        assert await answer(second[0]) == (200, "ok\n"), "the others were kept"
        assert dropped(metrics, "evicted") == 1
        for _, writer in (first, second, third):
            writer.close()


async def test_a_full_endpoint_whose_clients_are_all_being_answered_refuses_one_more():
    health, metrics = GatedHealth(), Metrics()
    async with serving(health, ConnectionLimits(most=1), metrics) as endpoint:
        reader, writer = await connect(endpoint, request("/healthz"))
        await health.started()  # the first request is being answered
        assert await ask(endpoint) == (503, "too many connections\n")
        assert dropped(metrics, "refused") == 1
        health.gate.set()
        assert await answer(reader) == (200, "ok\n"), "the one being answered is not disturbed"
        writer.close()


# ---------------------------------------------------------------- /healthz: one database write per period


async def test_a_flood_of_healthz_costs_one_database_write_per_period(tmp_path: Path, store: Store):
    probes, clock = Probes(store), HandClock()
    wal = tmp_path / "state.db-wal"
    async with serving(probes, clock=clock) as endpoint:
        assert await ask(endpoint) == (200, "ok\n")
        wal_before = wal.stat().st_size
        for _ in range(20):  # 1,000 requests, 50 at a time (the cap is 64)
            answers = await asyncio.gather(*(ask(endpoint) for _ in range(50)))
            assert set(answers) == {(200, "ok\n")}
        assert probes.calls == 1, "the flood reused the first check"
        assert wal.stat().st_size == wal_before, "and wrote nothing"
        clock.time += HEALTHY_FOR
        assert await ask(endpoint) == (200, "ok\n")
        assert probes.calls == 2, "checked again once the period passed"
        assert wal.stat().st_size <= wal_before + WAL_FRAME


async def test_concurrent_healthz_share_one_check():
    health = GatedHealth()
    async with serving(health, clock=HandClock()) as endpoint:
        asking = asyncio.gather(*(ask(endpoint) for _ in range(40)))
        await health.started()
        health.gate.set()
        assert set(await asking) == {(200, "ok\n")}
        assert health.calls == 1


async def test_a_failing_database_fails_healthz_within_the_period_and_recovers_sooner(tmp_path: Path, store: Store):
    probes, clock = Probes(store), HandClock()
    async with serving(probes, clock=clock) as endpoint:
        assert await ask(endpoint) == (200, "ok\n")
        with read_only(tmp_path):
            assert await ask(endpoint) == (200, "ok\n"), "the healthy result is reused for its period"
            clock.time += HEALTHY_FOR
            status, body = await ask(endpoint)
            assert status == 503 and "not writable" in body
        assert (await ask(endpoint))[0] == 503, "a failure is reused too, briefly"
        clock.time += UNHEALTHY_FOR
        assert await ask(endpoint) == (200, "ok\n")
        assert probes.calls == 3


# ---------------------------------------------------------------- the log


async def test_nothing_a_client_sends_reaches_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    forged = "2026-01-01 00:00:00 | ERROR | forged"
    async with serving(healthy) as endpoint:
        assert (await ask(endpoint, "/healthz?from=visitor-path"))[0] == 200
        assert (await ask(endpoint, "/visitor-path"))[0] == 404
        for malformed in (
            f"GET /healthz HTTP/1.1\r\nX-Forged: {forged}\x01\r\n\r\n",  # a control byte in a header
            f"GET /healthz HTTP/1.1\r\nX-Forged: {forged}{'x' * 5000}\r\n\r\n",  # a header past the limit
            f"{forged} /healthz HTTP/1.1\r\n\r\n",  # no such method
        ):
            reader, writer = await connect(endpoint, malformed.encode())
            assert (await answer(reader))[0] == 400
            writer.close()
    logged = caplog.text + "".join(str(record.exc_info) for record in caplog.records)
    assert "visitor-path" not in logged
    assert "forged" not in logged
