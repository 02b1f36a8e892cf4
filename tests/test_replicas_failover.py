"""Replicas of the real bot on one real PostgreSQL server, as issue 16 will be tried: two and three
installed bots sharing six pages (split evenly), one of them killed, cut off from the database or
restarted while incidents go out, and what the webhook receiver got counted, update by update
(each update exactly once, or at most the send in flight repeated).

Pages are polled every second, so a heartbeat is a quarter second and a lease three of them.
The receiver takes 50 ms per answer, 150 ms where a killed replica must have a send in flight.
(`statusbot status` on shared replicas: test_status_replicas.py.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path

import pytest

from bot.clock import LoopClock
from bot.fetch import Fetcher
from bot.model import Snapshot, Validators
from bot.plan import PollTarget
from bot.poll import ProviderPoller
from bot.replicas import LEASE_BEATS, ReplicaKeeper, beat_for
from bot.state_pg import NOW, PostgresStore
from bot.store_base import DocumentState, LeaseLost
from providers import FORMATS
from tests.builders import update_event
from tests.eventually import eventually, eventually_async
from tests.fakes.status_page import PageScript, StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.replica_world import OpenReplica, ReplicaWorld, expire_leases
from tests.test_poll import Channel, WatchedBudget

pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'statusbot[postgres]'")

INTERVAL = 1.0
BEAT = beat_for([INTERVAL])
LEASE = BEAT * LEASE_BEATS


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, pages: StatusPageServer,
          postgres_url: str) -> Iterator[ReplicaWorld]:
    """Six pages and replicas of the bot delivering to a receiver that answers in 50 ms (a test
    marked `slow_receiver`: 150 ms, so that a killed replica surely has a send in flight)."""
    delay = 0.15 if request.node.get_closest_marker("slow_receiver") else 0.05
    with WebhookReceiver(delay=delay) as receiver, \
            ReplicaWorld(tmp_path, pages, receiver, postgres_url, interval=INTERVAL) as replicas:
        yield replicas


@pytest.mark.slow_receiver
def test_a_replica_killed_mid_burst_loses_nothing_and_its_work_is_taken_over_within_two_intervals(
        world: ReplicaWorld):
    world.start("r1", "r2", "r3")
    eventually(lambda: world.shares() == {"r1": 2, "r2": 2, "r3": 2}, what=lambda: f"two pages each: {world.holders()}")
    world.baseline()
    orphaned = world.held_by("r3")
    world.burst(4)  # 24 updates, about 1.2 s of sends for three replicas
    eventually(lambda: world.claims("r3")[0], what="r3 sending a delivery")
    world.bots["r3"].kill()
    killed, received = time.monotonic(), len(world.receiver.requests)
    claimed, claim_left = world.claims("r3")
    lease_left = world.lease_left("r3")
    assert claimed, "r3 was killed with nothing in flight: the test proves nothing"
    world.burst(1)  # news on every page, r3's too

    eventually(lambda: not set(orphaned) & set(world.held_by("r3")) and None not in world.holders().values(),
               what=lambda: f"r3's pages {orphaned} taken over: {world.holders()}")
    polls = {page: world.polls(page) for page in orphaned}
    eventually(lambda: all(world.polls(page) > polls[page] for page in orphaned), what="r3's pages polled again")
    polled_again = time.monotonic() - killed
    eventually(lambda: set(claimed) <= world.arrived(after=received), what=f"r3's claimed {claimed} sent again")
    claims_sent = time.monotonic() - killed

    verdict = world.settle()
    assert (verdict.lost, verdict.out_of_order, verdict.unexpected) == ([], [], []), verdict
    assert verdict.duplicates <= 1, verdict.repeated  # the one send r3 had in flight
    assert polled_again <= lease_left + 2 * INTERVAL, (polled_again, lease_left)
    assert claims_sent <= claim_left + 2 * INTERVAL, (claims_sent, claim_left)
    eventually(lambda: world.shares() == {"r1": 3, "r2": 3}, what=lambda: f"the survivors' shares: {world.holders()}")
    assert not world.problems()


def test_a_replica_cut_off_from_the_database_keeps_running_and_takes_work_again(
        world: ReplicaWorld, postgres_server, postgres_url: str):
    world.start("r1", "r2")
    eventually(lambda: world.shares() == {"r1": 3, "r2": 3}, what=lambda: f"three pages each: {world.holders()}")
    world.baseline()
    cuts = 0
    with world.flowing(every=0.05):
        for _ in range(4):  # over a second or so, each cut while deliveries go out
            world.receiver.wait_for(len(world.receiver.requests) + 1, timeout=30)
            cuts += postgres_server.terminate(postgres_url, application_name="statusbot r1") > 0
    assert cuts >= 2, "r1's connections were hardly ever cut: the test proves little"
    eventually(lambda: world.shares() == {"r1": 3, "r2": 3}, what=lambda: f"r1 beating again: {world.holders()}")
    world.wait_until_delivered()
    assert world.bots["r2"].stop() == 0  # from now on r1 alone polls and delivers
    eventually(lambda: world.shares() == {"r1": 6}, what=lambda: f"r1 holding every page: {world.holders()}")
    world.burst(1)

    verdict = world.settle()
    assert (verdict.lost, verdict.out_of_order, verdict.unexpected) == ([], [], []), verdict
    assert verdict.duplicates <= cuts, verdict.repeated  # at most the send in flight at each cut
    assert world.bots["r1"].stop() == 0, world.tails()  # it ran on through every cut
    assert not world.problems()


def ignore(channels: set[str]) -> None:
    """What a poller calls when it queued deliveries: no delivery worker listens here."""


async def written(store: PostgresStore) -> tuple[int, int, int]:
    """How many documents, seen keys and outbox rows the database holds."""
    rows = await store._all("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM seen),"
                            " (SELECT count(*) FROM outbox)")
    return rows[0]


async def test_a_poll_under_a_lease_that_expired_and_moved_on_commits_nothing(
        replica: OpenReplica):
    stale, current = await replica("r1"), await replica("r2")
    document = DocumentState("https://status.example/api/v2/summary.json", Validators(etag='"v2"'), Snapshot())
    await stale.join(["acme"])
    await stale.beat(["acme"], ttl=0.2)
    await current.join(["acme"])
    assert stale.holds("acme") and not current.holds("acme")

    async def taken_over() -> bool:  # r1 beats no more: on the database's clock its lease runs out
        return "acme" in (await current.beat(["acme"], ttl=0.2)).taken

    await eventually_async(taken_over, within=10, what="r2 taking the page over")
    assert stale.holds("acme")  # r1 has not noticed: its poll goes on, and tries to commit
    with pytest.raises(LeaseLost, match="provider acme: replica r1 no longer holds its lease"):
        await stale.commit_poll("acme", [document], ["upd:i1:u1"], [("hooks", update_event(1))], changed=True)
    assert not stale.holds("acme")
    assert await written(current) == (0, 0, 0)
    await current.commit_poll("acme", [document], ["upd:i1:u1"], [("hooks", update_event(1))], changed=True,
                              lease=current.lease("acme"))
    assert await written(current) == (1, 1, 1)


async def test_a_poll_that_straddles_a_lost_and_retaken_lease_commits_nothing(
        replica: OpenReplica, pages: StatusPageServer):
    """r1 reads the page, loses its lease while the poll waits to parse it, r2 polls the page
    meanwhile and commits, and r1 takes the page back before its old poll commits: the epoch
    it started under is gone, so that poll must write nothing."""
    stale, other = await replica("r1"), await replica("r2")
    script = PageScript("Acme")
    script.component("api", "API")
    pages.publish("/acme", script)
    target = PollTarget("acme", "Acme", f"{pages.url}/acme", interval=INTERVAL, components=())
    budget = WatchedBudget(pages=1, body_bytes=1_000_000)
    async with aclosing(Fetcher(timeout=5)) as fetcher:
        mine = ProviderPoller(target, FORMATS["statuspage"], fetcher, stale, [Channel()], "active", ignore,
                              changes=budget)
        theirs = ProviderPoller(target, FORMATS["statuspage"], fetcher, other, [Channel()], "active", ignore)
        await stale.join(["acme"])
        await stale.beat(["acme"], ttl=30)
        await mine.poll()  # the quiet page, first read under r1's first lease
        script.open_incident("i1", "API errors", "Investigating")
        pages.publish("/acme", script)
        async with budget.hold(budget.body_bytes):  # other pages take all the room to parse
            budget.asked.clear()
            poll = asyncio.create_task(mine.poll())
            await asyncio.wait_for(budget.asked.wait(), 5)  # r1 has read the page and waits for room
            stale.drop_leases()  # r1's heartbeat found the database gone for a lease
            await expire_leases(other, stale)
            await other.join(["acme"])
            assert "acme" in (await other.beat(["acme"], ttl=30)).taken
            script.update("i1", "identified", "A fix is on its way")
            pages.publish("/acme", script)
            await theirs.poll()
            announced = await other._all("SELECT event FROM outbox ORDER BY id")
            await other.leave()
            assert "acme" in (await stale.beat(["acme"], ttl=30)).taken  # r1 is back, under a new lease
        await poll
    assert await other._all("SELECT event FROM outbox ORDER BY id") == announced  # nothing from the old poll
    page = await other.page("acme")
    assert page is not None and page.incidents["i1"].status == "identified"  # the newer page stays


async def test_a_cut_connection_costs_the_heartbeat_less_than_a_lease(
        replica: OpenReplica, postgres_server, postgres_url: str):
    store = await replica("r1")
    keeper = ReplicaKeeper(store, ["acme"], LoopClock(), BEAT)
    await keeper.start()
    # Statements at once, as a busy replica's polls, sends and heartbeat: the pool holds several connections.
    await asyncio.gather(*(store._all("SELECT pg_sleep(0.02)") for _ in range(8)))
    assert postgres_server.terminate(postgres_url, application_name="statusbot r1") >= 3
    started = time.monotonic()
    # The first beat may meet a dead connection; the pool's idle ones are checked at once, so the
    # next beat finds a live one, well before the lease would run out.
    await keeper.heartbeat()
    await keeper.heartbeat()
    assert time.monotonic() - started < LEASE
    (beaten,) = await store._all(f"SELECT {NOW} - heartbeat_at FROM replicas WHERE name = 'r1'")
    assert store.holds("acme") and beaten[0] < BEAT  # the second beat renewed the lease


def test_a_rolling_restart_hands_the_pages_over_at_once_and_announces_each_update_once(world: ReplicaWorld):
    world.start("r1", "r2")
    eventually(lambda: world.shares() == {"r1": 3, "r2": 3}, what=lambda: f"three pages each: {world.holders()}")
    world.baseline()
    with world.flowing(every=0.1):
        handovers = [restart(world, "r1", "r2"), restart(world, "r2", "r1")]
    verdict = world.settle()
    assert (verdict.lost, verdict.out_of_order, verdict.unexpected) == ([], [], []), verdict
    assert verdict.duplicates == 0, verdict.repeated
    assert max(handovers) < LEASE, handovers  # the other's next beat, not a lease's expiry
    assert not world.problems()


def restart(world: ReplicaWorld, name: str, other: str) -> float:
    """Stop replica `name` with SIGTERM and start it again; how long after its exit `other`
    held every page."""
    assert world.bots[name].stop() == 0, world.tails()
    stopped = time.monotonic()
    # Given back on the way out: not one page is still leased to it, none waits out a lease.
    assert name not in world.holders().values(), world.holders()
    eventually(lambda: world.shares() == {other: 6}, what=lambda: f"{other} holding every page: {world.holders()}")
    handover = time.monotonic() - stopped
    world.start(name)
    eventually(lambda: world.shares() == {"r1": 3, "r2": 3}, what=lambda: f"the pages split again: {world.holders()}")
    return handover
