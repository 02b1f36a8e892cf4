"""A local ntfy server, for Apprise's `ntfy://127.0.0.1:PORT/topic` URLs.

It speaks ntfy's publish API (docs.ntfy.sh/publish) as far as Apprise uses it: a JSON message
POSTed to the server's root (`{"topic", "title", "message"}`, with `X-Priority`, `X-Tags`,
`X-Markdown` headers), or a body PUT/POSTed to `/<topic>`. A message is answered 200 with the
published message as ntfy returns it; a scripted error as ntfy sends errors, JSON with its own
code (its HTTP status times 100 plus a number: 40101 is "unauthorized"):

    with FakeNtfy() as ntfy:
        ntfy.respond(500)
        ...send to f"ntfy://{ntfy.address}/alerts"...
        [published] = ntfy.wait_for(1)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http import HTTPStatus

from ._server import FakeHandler, ThreadedFake


@dataclass(frozen=True)
class Published:
    path: str
    headers: dict[str, str]  # names in lower case
    topic: str
    title: str
    message: str
    status: int  # what the fake answered


class FakeNtfy(ThreadedFake[Published, int]):
    noun = "publishes"

    def __init__(self) -> None:
        super().__init__(_Handler, name="fake-ntfy")

    @property
    def address(self) -> str:
        """host:port, for an Apprise URL (`ntfy://{address}/topic`)."""
        return self.url.removeprefix("http://")

    def respond(self, status: int, times: int = 1) -> None:
        """Answer the next `times` publishes with `status` (ntfy's error body); then 200."""
        self._queue([status] * times)

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        with self._changed:
            status = self._scripted() or 200
            topic, title, message = _read(path, headers, body)
            self._record(Published(path, headers, topic, title, message, status))
        if status != 200:
            error = {"code": status * 100 + 1, "http": status, "error": HTTPStatus(status).phrase.lower(),
                     "link": "https://ntfy.sh/docs/publish/"}
            return status, json.dumps(error).encode()
        published = {"id": f"m{len(self.requests)}", "time": int(time.time()), "event": "message",
                     "topic": topic, "title": title, "message": message}
        return 200, json.dumps(published).encode()


def _read(path: str, headers: dict[str, str], body: bytes) -> tuple[str, str, str]:
    """(topic, title, message) of a JSON publish to the root, or of a body sent to /<topic>."""
    if path.split("?", 1)[0].strip("/"):
        return path.split("?", 1)[0].strip("/"), headers.get("x-title", ""), body.decode("utf-8", "replace")
    document = json.loads(body)
    return document.get("topic", ""), document.get("title", ""), document.get("message", "")


class _Handler(FakeHandler):
    server_version = "ntfy"

    def do_POST(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, payload = self.server.fake._answer(self.path, headers, self._body())  # type: ignore[attr-defined]
        self._send(status, {"Content-Type": "application/json"}, payload)

    do_PUT = do_POST
