"""This replica's place among the replicas sharing a PostgreSQL database: its heartbeat.

Every `beat` seconds one transaction writes this replica's heartbeat (which keeps all of its
leases alive) and renews the claims of the deliveries it sends, takes over pages whose holder has
been silent for a lease (a replica that stopped), and gives back pages beyond its share (a replica
that joined). A lease lasts LEASE_BEATS heartbeats after its holder's last, so a replica killed with `kill -9` has its pages polled again within a lease and two heartbeats (the
takeover, then the scheduler's next look), which the beat keeps under the shortest interval.

When the database cannot be reached, the replica keeps trying; once its leases would have
expired it stops polling (another replica may hold its pages by now) and its claims lapse, and it
takes its share again when the database answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.clock import Clock, first_of
from bot.state_pg import LeaseChange, PostgresStore
from bot.store_base import DatabaseUnavailable, StateError

log = logging.getLogger("statusbot.replicas")

LEASE_BEATS = 3  # a lease outlives two missed heartbeats
MIN_BEAT = 0.2  # seconds: a shorter heartbeat would be mostly database round trips
MAX_BEAT = 10.0  # seconds: a takeover waits about three of these


def beat_for(intervals: Sequence[float]) -> float:
    """The heartbeat for these poll intervals: a quarter of the shortest, within bounds, so that a
    takeover (a lease, then two beats) comes within one interval of the poll it replaces."""
    return min(max(min(intervals, default=60.0) / 4, MIN_BEAT), MAX_BEAT)


class ReplicaKeeper:
    def __init__(self, store: PostgresStore, providers: Sequence[str], clock: Clock, beat: float):
        self.store = store
        self.providers = list(providers)
        self.clock = clock
        self.beat = beat
        self.ttl = beat * LEASE_BEATS
        store.claim_ttl = self.ttl
        self._renewed = clock.now()  # when the leases were last renewed
        self._cut_off = False  # whether the database is out of reach (said once per outage)
        self._beat: asyncio.Future[LeaseChange] | None = None  # the heartbeat's transaction, maybe still running

    async def start(self) -> None:
        """Join the replicas and take a first share of the pages, before the first poll."""
        await self.store.join(self.providers)
        await self.heartbeat()
        log.info("this replica holds %d of %d page(s)", len(self._held()), len(self.providers))

    async def run(self, stop: asyncio.Event) -> None:
        """Beat until stopped: the service stops it after the last send is recorded, then leaves."""
        while not await self.clock.wait(stop, self.beat):
            await self.heartbeat()

    async def heartbeat(self) -> None:
        started = self.clock.now()  # the leases run from no later than this
        if self._beat is None or self._beat.done():
            self._beat = asyncio.ensure_future(self.store.beat(self.providers, self.ttl))
        # A server that accepts but does not answer (frozen, overloaded) holds a beat for as long
        # as it likes: after a lease's time this replica counts it as lost, the beat going on.
        await first_of(asyncio.shield(self._beat), self.clock.wait(asyncio.Event(), self.ttl))
        if not self._beat.done():
            self._lost(DatabaseUnavailable(f"database {self.store.path} did not answer within {self.ttl:g}s"))
            return
        try:
            change = self._beat.result()
        except DatabaseUnavailable as exc:
            self._lost(exc)
            return
        self._renewed = started
        if self._cut_off:
            self._cut_off = False
            log.warning("the database answers again")
        if change.taken or change.given:
            log.info("this replica took %d page(s) and gave back %d; it holds %d",
                     len(change.taken), len(change.given), len(self._held()))

    async def leave(self) -> None:
        """Give back leases and claims at once, so that the others need not wait for them to expire."""
        try:
            await self.store.leave()
        except (DatabaseUnavailable, StateError) as exc:
            log.warning("could not give back this replica's pages (%s); they are taken over when their"
                        " leases expire", exc)

    def _lost(self, exc: DatabaseUnavailable) -> None:
        if not self._cut_off:
            self._cut_off = True
            log.error("%s; retrying every %gs", exc, self.beat)
        if self.clock.now() - self._renewed >= self.ttl and (dropped := self.store.drop_leases()):
            log.warning("this replica stops polling its %d page(s) until the database answers: their leases"
                        " have expired", len(dropped))

    def _held(self) -> list[str]:
        return [provider for provider in self.providers if self.store.holds(provider)]
