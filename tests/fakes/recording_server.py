"""An HTTP/1.1 server on any local address (127.0.0.2, ::1, …) that records everything it is sent.

It runs in the test's own event loop (`async with RecordingServer("127.0.0.2") as server`).
Each request target answers from a table: a redirect (`redirect`) or a JSON body (`serve`); any
other target gets a 404. Every connection is counted, even one that never sends a request, and
every request's target and headers are kept, so a test can prove a host was never reached and
that no request carried a `Referer`. As a forward proxy, its targets are absolute URLs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import TracebackType
from typing import Self


@dataclass(frozen=True)
class Request:
    target: str  # as sent: a path, or an absolute URL when the server is used as a proxy
    headers: dict[str, str]  # names lower-cased


class RecordingServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0  # chosen by the system on `async with`
        self.connections = 0
        self.requests: list[Request] = []
        self._routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """Base URL, no trailing slash: append any path."""
        return f"http://[{self.host}]:{self.port}" if ":" in self.host else f"http://{self.host}:{self.port}"

    def redirect(self, target: str, location: str, status: int = 302) -> None:
        self._routes[target] = (status, {"Location": location}, b"")

    def serve(self, target: str, body: bytes) -> None:
        self._routes[target] = (200, {"Content-Type": "application/json"}, body)

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:  # keep-alive: one connection may carry several requests
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.strip().split("\r\n")
                target = request_line.split(" ")[1]
                fields = (line.partition(":") for line in lines)
                self.requests.append(Request(target, {name.strip().lower(): value.strip() for name, _, value in fields}))
                status, headers, body = self._routes.get(target, (404, {}, b"not here"))
                answer = [f"HTTP/1.1 {status} Scripted", f"Content-Length: {len(body)}",
                          *(f"{name}: {value}" for name, value in headers.items())]
                writer.write(("\r\n".join(answer) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client hung up
        finally:
            writer.close()
