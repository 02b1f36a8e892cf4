"""When each provider is polled: one timer for all of them, on a coarse clock.

Ten thousand pollers each sleeping on a timer of its own spread their polls evenly, so every
turn of the event loop serves about one request: the per-turn cost (epoll, timers, wake-ups) is
paid per request. Here the pages that are due within the same tick start together; their
requests share turns of the loop, which costs about half the CPU per poll (bench/README.md).
A poll starts at most one tick early, never late, so polls stay at most `interval` apart.

Time is the injected clock's, and chance the injected random source's: jitter and backoff are
decided here (`next_poll`, a pure function), and a test drives the whole schedule on a fake clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
from collections.abc import Callable, Sequence

from bot.clock import Clock, LoopClock
from bot.poll import PollOutcome, ProviderPoller

log = logging.getLogger("statusbot.poll")

# Polls due within one tick start together. The longer the tick, the more requests share each
# turn of the loop (0.5 s cost about a third more CPU per poll than 2 s in bench/run.py); a
# thirtieth of the interval keeps the early start small beside it.
MAX_TICK = 2.0
TICK_SHARE = 1 / 30
FIRST_POLL_SPREAD = 5.0  # the first polls are spread over up to this many seconds
MAX_BACKOFF = 900.0  # a failing page is still tried every 15 minutes
JITTER = 0.1  # a poll starts up to this share of the interval early: pages polled together drift apart


def next_poll(interval: float, outcome: PollOutcome, first: bool, rng: random.Random) -> float:
    """Seconds from this poll's start (when it succeeded) or end (when it failed) to the next.

    Polls start at most `interval` apart, whatever the poll took: a change is seen within one
    interval. The first polls after a start come within seconds of each other; the second ones
    are spread over the whole interval, so that ten thousand pages are not polled in one burst a
    minute; later, jitter below the interval keeps them apart. A failing page backs off,
    doubling from the interval up to MAX_BACKOFF (or the interval, if longer), and waits at
    least as long as it asked (Retry-After).
    """
    if outcome.error is None:
        return interval * (rng.random() if first else rng.uniform(1 - JITTER, 1.0))
    backoff = min(interval * 2 ** (outcome.failures - 1), max(MAX_BACKOFF, interval))
    return max(backoff, outcome.retry_after or 0.0)


class PollScheduler:
    """Runs every poller's polls until stop. A poll that fails outright (only a database error
    escapes a poll) sets stop, and `run` raises that error once the other polls have ended."""

    def __init__(self, pollers: Sequence[ProviderPoller], stop: asyncio.Event, limit: int,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 holds: Callable[[str], bool] = lambda provider: True, recheck: float | None = None):
        """`holds` says whether this replica polls a provider now (replicas sharing a database
        split the pages); a page it does not hold is looked at again `recheck` seconds later
        (by default, at the next tick)."""
        self.stop = stop
        self.holds = holds
        # Polls beyond `limit` wait in the heap, not as tasks queued on a semaphore: a first round
        # of ten thousand pages costs no memory while it waits.
        self.limit = limit
        self.clock = clock or LoopClock()
        self.rng = rng or random.Random()
        self.tick = min([MAX_TICK] + [poller.target.interval * TICK_SHARE for poller in pollers])
        self.recheck = recheck or self.tick
        self._order = itertools.count()  # breaks ties in the heap: pollers do not compare
        self._due: list[tuple[float, int, ProviderPoller]] = []
        self._running: set[asyncio.Task[PollOutcome]] = set()
        self._failure: BaseException | None = None
        now = self.clock.now()
        for poller in pollers:
            self._push(poller, now + self.rng.uniform(0, min(poller.target.interval, FIRST_POLL_SPREAD)))

    @property
    def in_flight(self) -> int:
        """Polls running now."""
        return len(self._running)

    async def run(self) -> None:
        try:
            while not self.stop.is_set():
                self._start_due()
                if await self.clock.wait(self.stop, self._sleep(self.clock.now())):
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
        left = self.tick - now % self.tick
        # Just before a tick (rounding can leave 1e-14 s), this tick's polls were started already:
        # sleep to the next one rather than wake for nothing.
        return left + self.tick if left < self.tick * 1e-3 else left

    def _start_due(self) -> None:
        """Start the polls due before the next tick, as many as the limit lets run."""
        horizon = self.clock.now() + self.tick
        while self._due and self._due[0][0] < horizon and len(self._running) < self.limit:
            self._start(heapq.heappop(self._due)[2])

    def _start(self, poller: ProviderPoller) -> None:
        started = self.clock.now()
        if not self.holds(poller.target.name):
            self._push(poller, started + self.recheck)
            return
        task = asyncio.ensure_future(poller.poll())
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(poller, started, done))

    def _finished(self, poller: ProviderPoller, started: float, task: asyncio.Task[PollOutcome]) -> None:
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
        outcome = task.result()
        delay = next_poll(poller.target.interval, outcome, poller.polls == 1, self.rng)
        if outcome.error is None:
            self._push(poller, started + delay)
        else:
            log.warning(
                "provider %s: %s (failed %d time%s in a row; next try in %.0fs)", poller.target.name,
                outcome.error, outcome.failures, "" if outcome.failures == 1 else "s", delay,
            )
            self._push(poller, self.clock.now() + delay)
        if not self.stop.is_set():
            self._start_due()  # a poll held back by the limit need not wait for the next tick

    def _push(self, poller: ProviderPoller, due: float) -> None:
        heapq.heappush(self._due, (due, next(self._order), poller))
