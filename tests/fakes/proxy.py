"""A forward HTTP proxy, as operators run in front of a machine without direct internet access.

It takes plain-HTTP requests in absolute form (`GET http://host/path HTTP/1.1`), fetches them
itself (directly, never through another proxy) and relays status, validators and body. Every
absolute URL it was asked for is recorded.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from ._server import FakeHandler, ThreadedFake

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_RELAYED = ("ETag", "Last-Modified", "Content-Type", "Retry-After")


class ForwardProxy(ThreadedFake[str, None]):
    def __init__(self) -> None:
        super().__init__(_Handler, name="proxy")


class _Handler(FakeHandler):
    def do_GET(self) -> None:
        self.server.fake._record(self.path)
        if not self.path.startswith("http://"):
            self._send(400, {}, b"a proxy takes absolute URLs")
            return
        forwarded = {name: value for name, value in self.headers.items()
                     if name.lower() in ("if-none-match", "if-modified-since", "accept", "user-agent")}
        try:
            with _DIRECT.open(urllib.request.Request(self.path, headers=forwarded), timeout=5) as answer:
                status, headers, body = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:  # 304 and errors arrive here
            status, headers, body = error.code, error.headers, error.read()
        self._send(status, {name: headers[name] for name in _RELAYED if headers.get(name)}, body)
