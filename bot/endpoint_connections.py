"""The endpoint's connections: a cap on how many are open and a deadline on each.

aiohttp's server has neither (3,000 slow clients held 3,000 file descriptors until /healthz was
refused), so each connection is wrapped before aiohttp sees it:

- a client has `head_timeout` seconds to send a complete request head, then `answer_timeout`
  seconds to be answered and take the answer; past either it is cut off;
- at most `most` connections are open; one more evicts the connection that has waited longest
  for its request head, or, when all are being answered, is refused with a 503;
- each connection carries one request (the answer says `Connection: close`), so an idle
  keep-alive connection never holds a place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter

REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n"
)


@dataclass(frozen=True)
class ConnectionLimits:
    most: int = 64  # open at once: a health check and a scraper need a few
    head_timeout: float = 5.0  # to send the request head, which a real client sends in one packet
    answer_timeout: float = 10.0  # to be answered and read it: a health check may wait 5 s for the database


class Connections:
    """The open connections, oldest first; `protocol` is the factory for asyncio's server."""

    def __init__(self, handlers: Callable[[], asyncio.Protocol], limits: ConnectionLimits, dropped: Counter):
        """`handlers` makes aiohttp's protocol for one connection; `dropped` counts the
        connections cut off, by reason (evicted, refused, timeout)."""
        self.handlers = handlers
        self.limits = limits
        self.dropped = dropped
        self._open: dict[asyncio.BaseTransport, GuardedConnection] = {}  # by transport, in order of arrival

    def protocol(self) -> GuardedConnection:
        return GuardedConnection(self)

    def admit(self, connection: GuardedConnection, transport: asyncio.BaseTransport) -> bool:
        """Whether `connection` may be served, after evicting another to make room if need be."""
        if len(self._open) >= self.limits.most:
            oldest_waiting = next((c for c in self._open.values() if not c.answering), None)
            if oldest_waiting is None:
                self.dropped.labels("refused").inc()
                return False
            oldest_waiting.cut_off("evicted")
        self._open[transport] = connection
        return True

    def answering(self, transport: asyncio.BaseTransport) -> None:
        """The request head on `transport` is complete: it is answered now."""
        connection = self._open.get(transport)
        if connection is not None:
            connection.answer()

    def forget(self, transport: asyncio.BaseTransport) -> None:
        self._open.pop(transport, None)

    def close_all(self) -> None:
        for connection in list(self._open.values()):
            connection.abort()


class GuardedConnection(asyncio.Protocol):
    """One client connection: aiohttp's protocol inside, our cap and deadlines around it."""

    def __init__(self, connections: Connections):
        self.connections = connections
        self.limits = connections.limits
        self.handler: asyncio.Protocol | None = None  # aiohttp's, once admitted
        self.transport: asyncio.Transport | None = None
        self.answering = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.connections.admit(self, transport):
            transport.write(REFUSAL)
            transport.close()
            return
        self.handler = self.connections.handlers()
        self._arm(self.limits.head_timeout)
        self.handler.connection_made(transport)

    def answer(self) -> None:
        self.answering = True
        self._arm(self.limits.answer_timeout)

    def cut_off(self, reason: str) -> None:
        self.connections.dropped.labels(reason).inc()
        self.abort()

    def abort(self) -> None:
        """Close at once, unsent answer or not: a client that does not read must not hold the socket."""
        if self.transport is not None:
            self.connections.forget(self.transport)
            self.transport.abort()

    def _arm(self, seconds: float) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = asyncio.get_running_loop().call_later(seconds, self.cut_off, "timeout")

    # What the transport says goes on to aiohttp's protocol.

    def data_received(self, data: bytes) -> None:
        if self.handler is not None:
            self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received() if self.handler is not None else None

    def pause_writing(self) -> None:
        if self.handler is not None:
            self.handler.pause_writing()

    def resume_writing(self) -> None:
        if self.handler is not None:
            self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        if self.transport is not None:
            self.connections.forget(self.transport)
        if self.handler is not None:
            self.handler.connection_lost(exc)
