"""The poll scheduler, in process: real pollers, a real page server, a real database file."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.fetch import Fetcher
from bot.poll import PollTarget, ProviderPoller
from bot.schedule import TICK_SHARE, PollScheduler
from bot.state import BUSY_TIMEOUT, StateError, Store
from providers import FORMATS
from tests.fakes.status_page import PageScript, StatusPageServer
from tests.filesystem import locked

# The loop and the fake server share two noisy cores: a poll may start this much late.
LATENESS = 0.2


@pytest.fixture
async def parts(tmp_path):
    store = await Store.open(tmp_path / "state.db")
    fetcher = Fetcher(timeout=5)
    with StatusPageServer() as pages:
        yield pages, store, fetcher
    await fetcher.aclose()
    await store.close()


def poller(parts, name: str, interval: float) -> ProviderPoller:
    pages, store, fetcher = parts
    pages.publish(f"/{name}", PageScript(name.title()))
    target = PollTarget(name, name.title(), f"{pages.url}/{name}", interval=interval, components=())
    return ProviderPoller(target, FORMATS["statuspage"], fetcher, store, [], "active", lambda _: None)


async def run_for(pollers: list[ProviderPoller], seconds: float) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(PollScheduler(pollers, stop, limit=64).run())
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(running, timeout=5)


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_polls_start_at_most_an_interval_apart(parts):
    pages = parts[0]
    fast, slow = poller(parts, "fast", 0.5), poller(parts, "slow", 0.8)
    await run_for([fast, slow], 5.0)
    for name, interval in (("fast", 0.5), ("slow", 0.8)):
        between = gaps(pages.times[f"/{name}/api/v2/summary.json"])
        assert len(between) >= 4, (name, between)
        # At most the interval (late only by the loop's lateness). After the second poll (spread
        # over the interval), jittered down to 90% of it and started up to a tick early.
        assert max(between) <= interval + LATENESS, (name, between)
        assert min(between[1:]) >= (0.9 - TICK_SHARE) * interval - LATENESS, (name, between)


async def test_pages_started_together_are_spread_over_the_interval(parts):
    pages = parts[0]
    interval = 3.0
    await run_for([poller(parts, f"page{i}", interval) for i in range(20)], interval + 1.5)
    summaries = [times for path, times in pages.times.items() if path.endswith("/summary.json")]
    seconds = [times[1] - times[0] for times in summaries if len(times) >= 2]
    assert len(seconds) >= 10
    assert all(gap <= interval + LATENESS for gap in seconds)
    assert max(seconds) - min(seconds) >= interval / 3, seconds


async def test_a_short_interval_beside_a_long_one_keeps_its_pace(parts):
    pages = parts[0]
    await run_for([poller(parts, "hourly", 3600.0), poller(parts, "quick", 0.3)], 3.0)
    assert len(pages.times["/quick/api/v2/summary.json"]) >= 7
    assert len(pages.times["/hourly/api/v2/summary.json"]) <= 1


async def test_stop_lets_the_polls_in_flight_finish(parts):
    pages, store, _ = parts
    pollers = [poller(parts, f"page{i}", 60.0) for i in range(20)]
    stop = asyncio.Event()
    running = asyncio.create_task(PollScheduler(pollers, stop, limit=64).run())
    while not pages.times:  # the first poll has reached the page
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    polled = {path.split("/")[1] for path in pages.times}
    # Every page whose poll had started was committed: its documents are in the database.
    for name in polled:
        assert await store.documents(name), name


async def test_a_database_failure_ends_the_run_with_that_error(parts, tmp_path):
    stop = asyncio.Event()
    scheduler = PollScheduler([poller(parts, "acme", 0.5)], stop, limit=64)
    # The first poll cannot write what it saw.
    with locked(tmp_path / "state.db"), pytest.raises(StateError, match="locked"):
        await asyncio.wait_for(scheduler.run(), timeout=BUSY_TIMEOUT + 10)
    assert stop.is_set()
