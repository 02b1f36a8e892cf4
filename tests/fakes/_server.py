"""What every fake here shares: a real HTTP server on 127.0.0.1, served from a daemon thread.

So in-process async tests and a bot started as a subprocess can both talk to it. `ThreadedFake`
owns the server and its thread (start/stop, or use it as a context manager), the log of what
arrived (`requests`, `wait_for`) and the queue of scripted replies; `FakeHandler` holds the
handler settings and writes answers. Each fake keeps its own routes, reply type and `respond(...)`.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

Logged = TypeVar("Logged")  # what the fake keeps of each request
Scripted = TypeVar("Scripted")  # a reply queued by `respond(...)`


class ThreadedFake(Generic[Logged, Scripted]):
    noun = "requests"  # what `wait_for`'s TimeoutError counts

    def __init__(self, handler: type[FakeHandler], name: str) -> None:
        self._changed = threading.Condition()  # guards all of the fake's state; notified on each request
        self._requests: list[Logged] = []
        self._script: deque[Scripted] = deque()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.fake = self
        # A short poll interval keeps shutdown, and so each test's teardown, fast.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, name=name, daemon=True)

    @property
    def url(self) -> str:
        """Base URL, no trailing slash: append any path."""
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def requests(self) -> list[Logged]:
        with self._changed:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Logged]:
        """Block until at least `count` requests arrived; TimeoutError names how many did."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"expected {count} {self.noun} within {timeout}s, got {len(self._requests)}")
            return list(self._requests)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes replies that are still sleeping out their delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _record(self, request: Logged) -> None:
        """Log a request and wake `wait_for`."""
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def _queue(self, replies: Iterable[Scripted]) -> None:
        with self._changed:
            self._script.extend(replies)

    def forget_script(self) -> None:
        """Drop the replies still queued: a fake shared by several tests starts each one afresh."""
        with self._changed:
            self._script.clear()

    def _scripted(self) -> Scripted | None:
        """The next scripted reply, or None once the script has run out."""
        with self._changed:
            return self._script.popleft() if self._script else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: ThreadedFake[Any, Any]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is a scenario under test, not a failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real services
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall per answer
    server: _Server

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _send(self, status: int, headers: Mapping[str, str], payload: bytes, delay: float = 0.0) -> None:
        """Answer after `delay` seconds (cut short by `stop()`); a 304 goes out without a body."""
        if delay:
            self.server.fake._stopping.wait(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if status != 304:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return None  # the test output is for assertions, not access logs
