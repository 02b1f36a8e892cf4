"""The release worker: sends what channels kept back once it falls due, and reminders.

One task for all channels. It sleeps until the earliest waiting row or reminder is due (on the
injected clock), or until a poll keeps something back that may be due sooner, then releases
everything due in one transaction and wakes the channels that got messages. A start releases at
once what fell due while the bot was down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from bot.clock import Clock, first_of
from bot.metrics import Metrics
from bot.noise.rows import ACTIONS, Decision
from bot.noise.stage import NoiseStage
from bot.store_base import DatabaseUnavailable, SqlStore

# The longest sleep: a clock that jumps (a suspended laptop, a corrected wall clock) is noticed
# within this many seconds.
MAX_NAP = 60.0
BUSY_NAP = 1.0  # while another replica releases what is due
OUTAGE_NAP = 5.0  # while a shared database is out of reach


class NoiseWorker:
    def __init__(self, store: SqlStore, stage: NoiseStage, clock: Clock, on_outbox: Callable[[set[str]], None],
                 metrics: Metrics):
        self.store = store
        self.stage = stage
        self.clock = clock
        self.on_outbox = on_outbox
        self.metrics = metrics
        self.wake = asyncio.Event()  # set when a poll kept something back

    def note(self, decisions: Iterable[tuple[str, Decision]]) -> None:
        """Count what the rules decided, wake the channels that got messages, and this worker
        when something now waits (it may be due before the worker's next wake)."""
        woken: set[str] = set()
        for channel, decision in decisions:
            for action in ACTIONS:
                if decision.counts[action]:
                    self.metrics.noise.labels(channel, action).inc(decision.counts[action])
            if decision.send or decision.flush:
                woken.add(channel)
            if decision.wait or decision.remind:
                self.wake.set()
        if woken:
            self.on_outbox(woken)

    async def release(self) -> None:
        """Release everything due now."""
        self.note(await self.store.release_due(self.stage))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.wake.clear()
            try:
                nap = await self._release_due()
            except DatabaseUnavailable:
                nap = OUTAGE_NAP  # the replica's heartbeat reports the outage
            if nap > 0:
                await first_of(self.clock.wait(stop, nap), self.wake.wait())

    async def _release_due(self) -> float:
        """Release what is due; the seconds to nap before looking again."""
        due = await self.store.next_due()
        if due is not None and due <= self.stage.now():
            decisions = await self.store.release_due(self.stage)
            self.note(decisions)
            # Nothing released although something was due: another replica is releasing it now.
            return 0.0 if decisions else BUSY_NAP
        return MAX_NAP if due is None else min(due - self.stage.now(), MAX_NAP)

