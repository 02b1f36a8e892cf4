"""The benchmark's webhook receiver: records when each event arrived (time.time()), answers 200.

A threaded HTTP/1.1 server in the harness process. It parses each body once to read the event
type and the update id, which is how an arrival is matched to the change that caused it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Arrival:
    at: float
    webhook_id: str
    type: str
    update_id: str | None
    provider: str | None


class Receiver:
    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def record(self, webhook_id: str, body: bytes) -> None:
        at = time.time()
        try:
            document = json.loads(body)
            data = document.get("data") or {}
            update = data.get("update") or {}
            arrival = Arrival(at, webhook_id, document.get("type", "?"), update.get("id"), data.get("provider"))
        except (ValueError, AttributeError):
            arrival = Arrival(at, webhook_id, "unreadable", None, None)
        with self._lock:
            self.arrivals.append(arrival)

    def snapshot(self) -> list[Arrival]:
        with self._lock:
            return list(self.arrivals)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.receiver.record(self.headers.get("webhook-id", ""), body)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None
