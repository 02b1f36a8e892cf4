"""The poll scheduler: its timing rule as a pure function, and the whole schedule on a fake clock
with real pollers, a real page server and a real database file (the page server tells each
request's time on the same fake clock)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random

import pytest

from bot.fetch import Fetcher
from bot.model import FetchError
from bot.plan import PollTarget
from bot.poll import PollOutcome, ProviderPoller
from bot.schedule import JITTER, MAX_BACKOFF, TICK_SHARE, PollScheduler, next_poll
from bot.state import Store
from bot.store_base import StateError
from providers import FORMATS
from tests.clock import FakeClock, settle
from tests.fakes.status_page import PageScript, StatusPageServer
from tests.filesystem import locked

# ---------------------------------------------------------------- the rule, without I/O


def test_a_first_poll_is_followed_within_the_interval_and_later_ones_within_its_last_tenth():
    rng = random.Random(7)
    first = [next_poll(60.0, PollOutcome(), True, rng) for _ in range(200)]
    later = [next_poll(60.0, PollOutcome(), False, rng) for _ in range(200)]
    assert min(first) >= 0 and max(first) <= 60 and max(first) - min(first) > 50, "spread over the interval"
    assert min(later) >= (1 - JITTER) * 60 and max(later) <= 60


def test_a_failing_page_backs_off_doubling_up_to_the_cap_and_waits_as_long_as_it_asked():
    rng = random.Random(1)
    error = FetchError("HTTP 503")
    delays = [next_poll(10.0, PollOutcome(error, failures), False, rng) for failures in range(1, 10)]
    assert delays[:4] == [10.0, 20.0, 40.0, 80.0]
    assert delays[-1] == MAX_BACKOFF
    assert next_poll(10.0, PollOutcome(error, 1, retry_after=3000.0), False, rng) == 3000.0
    assert next_poll(3600.0, PollOutcome(error, 5), False, rng) == 3600.0, "never more often than the interval"


# ---------------------------------------------------------------- the schedule, on a fake clock

LOCK_WAIT = 0.5  # seconds a write waits for another process's lock (real time: SQLite's own wait)
STOPPED_WITHIN = 30.0  # real seconds for the polls in flight to end after stop (a hang, not a pace)


@pytest.fixture
async def parts(tmp_path):
    clock = FakeClock()
    store = await Store.open(tmp_path / "state.db", busy_timeout=LOCK_WAIT)
    fetcher = Fetcher(timeout=5)
    with StatusPageServer(clock=clock.now) as pages:
        yield pages, store, fetcher, clock
    await fetcher.aclose()
    await store.close()


def poller(parts, name: str, interval: float) -> ProviderPoller:
    pages, store, fetcher, _ = parts
    pages.publish(f"/{name}", PageScript(name.title()))
    target = PollTarget(name, name.title(), f"{pages.url}/{name}", interval=interval, components=())
    return ProviderPoller(target, FORMATS["statuspage"], fetcher, store, [], "active", lambda _: None)


async def run_for(parts, pollers: list[ProviderPoller], seconds: float) -> None:
    """Run the scheduler for `seconds` of the fake clock, then stop it."""
    clock = parts[3]
    stop = asyncio.Event()
    scheduler = PollScheduler(pollers, stop, limit=64, clock=clock, rng=random.Random(3))
    running = asyncio.create_task(scheduler.run())
    await clock.advance(seconds, idle=lambda: scheduler.in_flight == 0)
    stop.set()
    await asyncio.wait_for(running, timeout=STOPPED_WITHIN)


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_polls_start_at_most_an_interval_apart(parts):
    pages = parts[0]
    fast, slow = poller(parts, "fast", 60.0), poller(parts, "slow", 90.0)
    await run_for(parts, [fast, slow], 900.0)
    for name, interval in (("fast", 60.0), ("slow", 90.0)):
        between = gaps(pages.times[f"/{name}/api/v2/summary.json"])
        assert len(between) >= 9, (name, between)
        # At most the interval; after the second poll (spread over the interval), jittered down
        # to 90% of it and started up to a tick early.
        assert max(between) <= interval, (name, between)
        assert min(between[1:]) >= (1 - JITTER - TICK_SHARE) * interval, (name, between)


async def test_pages_started_together_are_spread_over_the_interval(parts):
    pages = parts[0]
    interval = 60.0
    await run_for(parts, [poller(parts, f"page{i}", interval) for i in range(20)], interval + 10)
    summaries = [times for path, times in pages.times.items() if path.endswith("/summary.json")]
    seconds = [times[1] - times[0] for times in summaries]
    assert len(seconds) == 20
    assert all(gap <= interval for gap in seconds)
    assert max(seconds) - min(seconds) >= interval / 3, seconds


async def test_a_short_interval_beside_a_long_one_keeps_its_pace(parts):
    pages = parts[0]
    await run_for(parts, [poller(parts, "hourly", 3600.0), poller(parts, "quick", 10.0)], 100.0)
    assert len(pages.times["/quick/api/v2/summary.json"]) >= 10
    assert len(pages.times["/hourly/api/v2/summary.json"]) == 1


async def test_a_failing_page_is_retried_later_and_later(parts, caplog):
    pages = parts[0]
    failing = poller(parts, "acme", 10.0)
    pages.serve("/acme/api/v2/summary.json", b"down", status=503)
    with caplog.at_level(logging.WARNING, logger="statusbot.poll"):
        await run_for(parts, [failing], 10 + 20 + 40 + 80 + 5)
    tick = 10.0 * TICK_SHARE
    between = gaps(pages.times["/acme/api/v2/summary.json"])
    assert len(between) == 4
    for gap, backoff in zip(between, (10.0, 20.0, 40.0, 80.0)):
        assert backoff - tick <= gap <= backoff, between
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 5
    assert warnings[1].startswith("provider acme: HTTP 503")
    assert warnings[1].endswith("(failed 2 times in a row; next try in 20s)")


async def test_stop_lets_the_polls_in_flight_finish(parts):
    pages, store, _, clock = parts
    pollers = [poller(parts, f"page{i}", 60.0) for i in range(10)]
    stop = asyncio.Event()
    scheduler = PollScheduler(pollers, stop, limit=64, clock=clock, rng=random.Random(5))
    running = asyncio.create_task(scheduler.run())
    while not scheduler.in_flight:  # move the clock until polls have started
        await clock.advance(scheduler.tick)
    stop.set()
    await asyncio.wait_for(running, timeout=STOPPED_WITHIN)
    polled = {path.split("/")[1] for path in pages.times}
    assert polled, "some polls had started"
    # Every page whose poll had started was committed: its documents are in the database.
    for name in polled:
        assert await store.page(name), name


async def test_a_database_failure_ends_the_run_with_that_error(parts, tmp_path):
    clock = parts[3]
    stop = asyncio.Event()
    scheduler = PollScheduler([poller(parts, "acme", 1.0)], stop, limit=64, clock=clock)
    running = asyncio.create_task(scheduler.run())
    # The first poll cannot write what it saw.
    with locked(tmp_path / "state.db"), pytest.raises(StateError, match="locked"):
        while not stop.is_set():
            await clock.advance(scheduler.tick)
            await settle(lambda: scheduler.in_flight == 0, "the poll to end")
        await running
    assert stop.is_set()
