"""Replicas sharing one PostgreSQL database, through the store and the heartbeat: how pages are
split and taken over, how a stale poll is fenced off, how deliveries are claimed in thread order,
and that noise control releases once. A real PostgreSQL server; the processes are in
test_replicas_failover.py."""

from __future__ import annotations

import asyncio

import pytest

from bot.noise.settings import NoiseSettings
from bot.noise.stage import NoiseStage
from bot.replicas import ReplicaKeeper, beat_for
from bot.state_pg import LeaseChange, PostgresStore
from bot.store_base import LeaseLost
from tests.builders import component_event, update_event
from tests.replica_world import OpenReplica, expire_leases

PAGES = ["a", "b", "c", "d"]


class ManualClock:
    """The heartbeat's clock, moved by hand (its loop is not run here: each beat is called)."""

    def __init__(self) -> None:
        self.moment = 1000.0

    def now(self) -> float:
        return self.moment

    def time(self) -> float:
        return self.moment

    async def wait(self, stop: asyncio.Event, seconds: float) -> bool:
        await stop.wait()  # time moves only by hand: a wait ends only when stopped
        return True


def held(store: PostgresStore) -> set[str]:
    return {page for page in PAGES if store.holds(page)}


async def test_replicas_split_the_pages_and_take_over_a_silent_ones(replica: OpenReplica):
    first, second = await replica("r1"), await replica("r2")
    await first.join(PAGES)
    await first.beat(PAGES, ttl=30)
    assert held(first) == set(PAGES)  # alone, it polls them all
    await second.join(PAGES)
    assert (await second.beat(PAGES, ttl=30)).taken == frozenset()  # all held: nothing to take yet
    change = await first.beat(PAGES, ttl=30)  # now it sees two replicas: it gives back half
    assert len(change.given) == 2 and held(first) == set(PAGES) - change.given
    assert (await second.beat(PAGES, ttl=30)).taken == change.given
    assert held(first).isdisjoint(held(second)) and held(first) | held(second) == set(PAGES)

    await expire_leases(second, first)  # r1 stops (kill -9): its leases run out
    await second.beat(PAGES, ttl=30)
    assert held(second) == set(PAGES)
    rows = {row.name: row.pages for row in await second.replica_rows()}
    assert rows == {"r1": 0, "r2": 4}


async def test_a_poll_under_a_lease_that_moved_on_writes_nothing(replica: OpenReplica):
    stale, current = await replica("r1"), await replica("r2")
    await stale.join(PAGES)
    await stale.beat(PAGES, ttl=30)
    await expire_leases(current, stale)
    await current.beat(PAGES, ttl=30)  # r2 took every page over, each under a new epoch
    with pytest.raises(LeaseLost, match="provider a: replica r1 no longer holds its lease"):
        await stale.commit_poll("a", [], ["upd:i1:u1"], [("hooks", update_event(1))], changed=True)
    assert not stale.holds("a")
    assert await current.seen_among("a", ["upd:i1:u1"]) == set() and await current.pending_count() == 0
    await current.commit_poll("a", [], ["upd:i1:u1"], [("hooks", update_event(1))], changed=True,
                              lease=current.lease("a"))
    assert await current.pending_count() == 1
    # The stale replica's validators for a page it no longer holds are fenced off too.
    with pytest.raises(LeaseLost):
        await stale.update_validators("a", {})


async def test_deliveries_are_claimed_once_and_in_thread_order(replica: OpenReplica):
    first, second, third = await replica("r1"), await replica("r2"), await replica("r3")
    rows = [update_event(1, "t1"), update_event(2, "t1"), update_event(3, "t2")]
    await first.commit_poll("acme", [], [], [("hooks", event) for event in rows], changed=True)
    one = await first.next_delivery("hooks")
    other = await second.next_delivery("hooks")
    assert one is not None and other is not None
    # The second row of thread t1 waits for the first: the other replica gets thread t2's.
    assert (one.event.id, other.event.id) == ("evt_1", "evt_3")
    assert await third.next_delivery("hooks") is None  # both claimed; t1's next row waits for its parent
    await first.mark_delivered(one, {"ts": "1.0"})
    reply = await second.next_delivery("hooks")
    assert reply is not None and reply.event.id == "evt_2"
    assert await second.thread("hooks", "t1") == {"ts": "1.0"}  # the parent's ts is there first


async def test_a_claim_that_expired_is_taken_over(replica: OpenReplica):
    dead, alive = await replica("r1"), await replica("r2")
    dead.claim_ttl = 0.05
    await dead.commit_poll("acme", [], [], [("hooks", update_event(1))], changed=True)
    claimed = await dead.next_delivery("hooks")
    assert claimed is not None and await alive.next_delivery("hooks") is None
    await asyncio.sleep(0.1)  # the claim runs out on the database's clock (no heartbeat renews it)
    taken = await alive.next_delivery("hooks")
    assert taken is not None and taken.id == claimed.id


async def test_a_clean_stop_gives_leases_and_claims_back_at_once(replica: OpenReplica):
    leaving, staying = await replica("r1"), await replica("r2")
    await leaving.join(PAGES)
    await leaving.beat(PAGES, ttl=30)
    await leaving.commit_poll("acme", [], [], [("hooks", update_event(1))], changed=True)
    assert await leaving.next_delivery("hooks") is not None
    await leaving.leave()
    await staying.join(PAGES)
    await staying.beat(PAGES, ttl=30)
    assert held(staying) == set(PAGES) and await staying.next_delivery("hooks") is not None
    assert [row.name for row in await staying.replica_rows()] == ["r2"]


async def test_noise_control_releases_what_is_due_once_across_replicas(replica: OpenReplica):
    first, second = await replica("r1"), await replica("r2")
    now = [1_000.0]
    stage = NoiseStage({"chat": NoiseSettings(hold=60.0)}, lambda: now[0])
    for n in range(20):
        outage = component_event(f"api{n}", "operational", "major_outage")
        await first.commit_poll("acme", [], [], [("chat", outage)], True, noise=stage)
    now[0] += 61
    released = await asyncio.gather(first.release_due(stage), second.release_due(stage))
    assert sorted(len(decisions) for decisions in released)[0] == 0  # one released, the other found it taken
    assert await first.pending_count("chat") == 1  # twenty held changes, one grouped message
    assert await second.waiting_counts() == {}


async def test_the_heartbeat_stops_polling_once_the_database_is_gone_for_a_lease(replica: OpenReplica, postgres_server,
                                                                                 postgres_url: str):
    store = await replica("r1")
    clock = ManualClock()
    keeper = ReplicaKeeper(store, PAGES, clock, beat_for([1.0]))
    await keeper.start()
    assert held(store) == set(PAGES)
    assert postgres_server.terminate(postgres_url, application_name="statusbot r1") >= 1
    await keeper.heartbeat()  # a cut connection is replaced: the beat goes through
    assert held(store) == set(PAGES)
    await store.close()  # from now on every statement fails, as with a database out of reach
    clock.moment += keeper.beat
    await keeper.heartbeat()
    assert held(store) == set(PAGES)  # within the lease, it polls on
    clock.moment += keeper.ttl
    await keeper.heartbeat()
    assert held(store) == set()


async def test_a_heartbeat_writes_no_lease_row_however_many_pages(replica: OpenReplica):
    store = await replica("r1")
    pages = [f"page{n}" for n in range(500)]
    await store.join(pages)
    await store.beat(pages, ttl=30)
    versions = await store._all("SELECT provider, xmin::text FROM leases ORDER BY provider")
    assert (await store.beat(pages, ttl=30)) == LeaseChange(frozenset(), frozenset())
    # Every lease row is the version the first beat wrote: a lease lives with its holder's heartbeat.
    assert await store._all("SELECT provider, xmin::text FROM leases ORDER BY provider") == versions
    assert all(store.holds(page) for page in pages)
