"""A real local HTTP endpoint that stands in for a webhook receiver in tests.

It serves from a daemon thread, so in-process async tests and a bot started as a subprocess can
both post to it. Every request is recorded; responses follow a script (`respond`), then 200.

    with WebhookReceiver() as receiver:
        receiver.respond(503, headers={"Retry-After": "7"}, times=2)
        ...post to f"{receiver.url}/hook"...
        receiver.wait_for(3)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class Received:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering


class WebhookReceiver:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # for replies that do not set their own
        self._changed = threading.Condition()
        self._requests: list[Received] = []
        self._script: deque[Reply] = deque()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        # A short poll interval keeps shutdown, and so each test's teardown, fast.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        """Base URL, no trailing slash: append any path."""
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def requests(self) -> list[Received]:
        with self._changed:
            return list(self._requests)

    def respond(
        self,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        times: int = 1,
        delay: float | None = None,
    ) -> None:
        """Queue `times` replies; once the script runs out every request gets a plain 200."""
        reply = Reply(status, dict(headers or {}), body, self.delay if delay is None else delay)
        with self._changed:
            self._script.extend([reply] * times)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until at least `count` requests arrived; TimeoutError names how many did."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"expected {count} requests within {timeout}s, got {len(self._requests)}")
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

    def _record(self, request: Received) -> Reply:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            return self._script.popleft() if self._script else Reply(delay=self.delay)

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is a scenario under test, not a failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real endpoints
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.receiver._record(Received(self.command, self.path, headers, body))
        if reply.delay:
            self.server.receiver._pause(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        return None  # the test output is for assertions, not access logs


def verify_standard_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """Check a Standard Webhooks signature the way a receiver would, independently of the notifier."""
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature")
    if not msg_id or not signatures or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode("utf-8")
    to_sign = f"{msg_id}.{stamp}.{body.decode('utf-8')}".encode()
    expected = base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode("ascii")
    for candidate in signatures.split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False
