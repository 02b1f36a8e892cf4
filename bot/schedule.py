"""When each provider is polled: one timer for all of them, on a coarse clock.

Ten thousand pollers each sleeping on a timer of its own spread their polls evenly, so every
turn of the event loop serves about one request: the per-turn cost (epoll, timers, wake-ups) is
paid per request. Here the pages that are due within the same tick start together; their
requests share turns of the loop, which costs about half the CPU per poll (bench/README.md).
A poll starts at most one tick early, never late, so polls stay at most `interval` apart.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Sequence

from bot.poll import ProviderPoller, wait_for_stop

# Polls due within one tick start together. The longer the tick, the more requests share each
# turn of the loop (0.5 s cost about a third more CPU per poll than 2 s in bench/run.py); a
# thirtieth of the interval keeps the early start small beside it.
MAX_TICK = 2.0
TICK_SHARE = 1 / 30
FIRST_POLL_SPREAD = 5.0  # the first polls are spread over up to this many seconds


class PollScheduler:
    """Runs every poller's polls until stop. A poll that fails outright (only a database error
    escapes a poll) sets stop, and `run` raises that error once the other polls have ended."""

    def __init__(self, pollers: Sequence[ProviderPoller], stop: asyncio.Event, limit: int):
        self.stop = stop
        # Polls beyond `limit` wait in the heap, not as tasks queued on a semaphore: a first round
        # of ten thousand pages costs no memory while it waits.
        self.limit = limit
        self.tick = min([MAX_TICK] + [poller.target.interval * TICK_SHARE for poller in pollers])
        self._order = itertools.count()  # breaks ties in the heap: pollers do not compare
        self._due: list[tuple[float, int, ProviderPoller]] = []
        self._running: set[asyncio.Task[float]] = set()
        self._failure: BaseException | None = None
        now = asyncio.get_running_loop().time()
        for poller in pollers:
            self._push(poller, now + random.uniform(0, min(poller.target.interval, FIRST_POLL_SPREAD)))

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self.stop.is_set():
                self._start_due()
                if await wait_for_stop(self.stop, self._sleep(loop.time())):
                    break
            # A poll that is writing its transaction finishes it; the service bounds how long.
            await asyncio.gather(*self._running, return_exceptions=True)
        finally:
            for task in self._running:  # only when the service gave up waiting (cancelled us)
                task.cancel()
        if self._failure is not None:
            raise self._failure

    def _sleep(self, now: float) -> float:
        """Seconds to the next tick: the heap is looked at on every tick, so a poll rescheduled
        earlier than the one at its top (a short interval beside long ones) is not missed."""
        return self.tick - now % self.tick

    def _start_due(self) -> None:
        """Start the polls due before the next tick, as many as the limit lets run."""
        horizon = asyncio.get_running_loop().time() + self.tick
        while self._due and self._due[0][0] < horizon and len(self._running) < self.limit:
            self._start(heapq.heappop(self._due)[2])

    def _start(self, poller: ProviderPoller) -> None:
        task = asyncio.ensure_future(poller.poll_and_report())
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(poller, done))

    def _finished(self, poller: ProviderPoller, task: asyncio.Task[float]) -> None:
        self._running.discard(task)
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            # Only the database fails a poll this way (page errors are reported and retried):
            # nothing can be polled without it.
            if self._failure is None:
                self._failure = error
            self.stop.set()
            return
        self._push(poller, asyncio.get_running_loop().time() + task.result())
        if not self.stop.is_set():
            self._start_due()  # a poll held back by the limit need not wait for the next tick

    def _push(self, poller: ProviderPoller, due: float) -> None:
        heapq.heappush(self._due, (due, next(self._order), poller))
