"""How much changed-page work runs at once: a few pages, and a bounded number of body bytes.

Parsing a document costs several times its size in memory (4.3 MB of JSON is about 25 MB of
Python objects while it is read), so pages that change together are let through by the bytes
they bring, not only by their number: four large pages changing every poll take turns instead
of multiplying the peak. Small pages, the usual case, still go several at a time.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ChangeBudget:
    """At most `pages` holders at once, holding at most `body_bytes` between them; a page larger
    than the whole budget takes all of it, and so runs alone. First come, first served: a large
    page waiting for room is not overtaken by small ones that would fit."""

    def __init__(self, pages: int, body_bytes: int):
        self.pages = pages
        self.body_bytes = body_bytes
        self._pages_held = 0
        self._bytes_held = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    @asynccontextmanager
    async def hold(self, size: int) -> AsyncIterator[None]:
        """Wait for room for a page whose changed documents are `size` bytes, and hold it."""
        size = min(size, self.body_bytes)
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((size, granted))
        self._grant()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():  # room was given just as we were cancelled
                self._release(size)
            else:
                self._grant()  # those queued behind may go now
            raise
        try:
            yield
        finally:
            self._release(size)

    def _grant(self) -> None:
        while self._waiting:
            size, granted = self._waiting[0]
            if granted.cancelled():
                self._waiting.popleft()
                continue
            if self._pages_held >= self.pages or (self._bytes_held and self._bytes_held + size > self.body_bytes):
                return
            self._waiting.popleft()
            self._pages_held += 1
            self._bytes_held += size
            granted.set_result(None)

    def _release(self, size: int) -> None:
        self._pages_held -= 1
        self._bytes_held -= size
        self._grant()
