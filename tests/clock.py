"""A clock that moves only when a test moves it, for the engine's timers (bot.clock.Clock)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable

from tests import eventually

YIELDS = 10  # turns of the event loop a woken timer gets before `settle` polls


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self._now = start
        self._order = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self.waits = 0  # calls of `wait` so far

    def now(self) -> float:
        return self._now

    def time(self) -> float:
        """The wall clock moves with the monotonic one: start the clock at a unix time to use it."""
        return self._now

    async def wait(self, stop: asyncio.Event, seconds: float) -> bool:
        if stop.is_set():
            return True
        self.waits += 1
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), wake))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({wake, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            wake.cancel()  # a no-op once woken; else it leaves the queue
        return stop.is_set()

    def _next(self) -> float | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def run_until(self, moment: float, idle: Callable[[], bool] = lambda: True) -> None:
        """Move to `moment`, waking each sleeper at its time in order. Before each step, the work
        started at the current moment ends: `idle()` holds, and the sleeper woken last sleeps
        again (every timer of the engine is a loop). On this clock, that work takes no time."""
        woken_at = self.waits - 1  # nobody was woken yet
        while True:
            await settle(lambda since=woken_at: idle() and self.waits > since and self._next() is not None,
                         "the work of this moment to end")
            woken_at = self.waits
            wake = self._next()
            if wake is None or wake > moment:
                self._now = max(self._now, moment)
                return
            self._now = max(self._now, wake)
            heapq.heappop(self._sleepers)[2].set_result(None)

    async def advance(self, seconds: float, idle: Callable[[], bool] = lambda: True) -> None:
        await self.run_until(self._now + seconds, idle)


async def settle(done: Callable[[], bool], what: str, within: float = eventually.TIMEOUT) -> None:
    """Let the event loop run until `done()` holds."""
    for _ in range(YIELDS):  # most moments need no I/O: a few turns of the loop end their work
        if done():
            return
        await asyncio.sleep(0)

    async def check() -> bool:
        return done()

    await eventually.eventually_async(check, within, what)
