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
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._server import FakeHandler, ThreadedFake


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


class WebhookReceiver(ThreadedFake[Received, Reply]):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(_Handler, name="webhook-receiver")
        self.delay = delay  # for replies that do not set their own

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
        self._queue([reply] * times)

    def _reply(self, request: Received) -> Reply:
        with self._changed:
            self._record(request)
            scripted = self._scripted()
            return Reply(delay=self.delay) if scripted is None else scripted


class _Handler(FakeHandler):
    def _serve(self) -> None:
        body = self._body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.fake._reply(Received(self.command, self.path, headers, body))
        self._send(reply.status, reply.headers, reply.body, reply.delay)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


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
