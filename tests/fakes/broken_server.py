"""A TCP server on 127.0.0.1 that fails below HTTP, the same way for every client library.

    not-http   answers any request (or TLS handshake) with a line that is not HTTP
    hang-up    reads the request, then closes the connection without an answer
    silent     reads the request and never answers: only the client's timeout ends it

(`tests.ports.free_port()` gives a port where a connection is refused.)

    with BrokenServer("hang-up") as broken:
        url = broken.url + "/api/webhooks/1/token"
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Self

MODES = ("not-http", "hang-up", "silent")


class BrokenServer:
    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise KeyError(mode)
        self.mode = mode
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"broken-{mode}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends the silent answers
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        self._listener.close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                _read_request(connection)
                if self.mode == "not-http":
                    connection.sendall(b"THIS IS NOT HTTP\r\n\r\n")
                elif self.mode == "silent":
                    self._stopping.wait()
            except OSError:
                pass  # the client gave up first


def _read_request(connection: socket.socket) -> None:
    """The whole request, so that closing does not reset the connection over unread bytes; a TLS
    handshake (or anything else that is not HTTP) is read as far as its first segment."""
    data = connection.recv(65536)
    if not data[:1].isalpha():
        return
    while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length and (chunk := connection.recv(65536)):
        body += chunk
