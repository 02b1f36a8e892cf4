"""Broken and hostile status pages beside healthy ones: each is reported by name, the others flow.

Every failure mode of `tests.fakes.hostile` is configured as a Statuspage provider of its own,
next to a healthy Statuspage page and a healthy incident.io page. The real bot runs once and
continuously; the continuous run's peak memory shows whether a 50 MB stream and a gzip bomb
are ever held. Four crowded pages (16,000 incidents, changed every poll) beside the healthy ones
show that what a page lists bounds neither the bot's memory nor how fast /healthz answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.fetch import Fetcher
from bot.model import FetchError, ParseError
from bot.poll import PollTarget, ProviderPoller
from bot.state import Store
from providers import FORMATS
from tests import crowded
from tests.bot_process import BotProcess
from tests.crowded import MeasuredBot
from tests.fakes.hostile import HUGE_BYTES, MODES, RETRY_AFTER, HostileServer
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.test_end_to_end import summary
from tests.test_poll import Channel
from tests.world import World

FETCH_TIMEOUT = 1.5  # the bot's deadline per fetch: the trickling page costs this much
MAX_BODY_BYTES = 5_000_000
PEAK_RSS_LIMIT_MB = 200
HEALTHZ_LIMIT = 0.5  # seconds: the Docker HEALTHCHECK waits 3
CROWDED_PAGES = 4
CROWDED_POLLS = 6  # changed polls of each crowded page while /healthz is timed

# What the bot says about each mode (a part of the reason it logs).
REASONS = {
    "http-500": "HTTP 500",
    "rate-limited": "HTTP 429",
    "garbage": "not JSON",
    "html": "looks like an HTML page",
    "truncated": "truncated or malformed JSON",
    "huge": "too large",
    "gzip-bomb": "too large",
    "trickle": "timeout",
    "reset": "connection",
    "redirect-loop": "redirects",
    "bad-utf8": "not UTF-8",
    "empty": "empty body",
    "wrong-types": "not a Statuspage",
}
HEALTHY = [("incident.created", "We are investigating errors"), ("incident.created", "Elevated latency")]


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        world = World(tmp_path, pages, receiver)
        world.acme.open_incident("live", "API errors", "We are investigating errors", components=("api",))
        world.nova.open_incident("01JINC00000000000000000009", "Chat slow", "Elevated latency")
        world.publish()
        yield world


def config(world: World, hostile: HostileServer) -> Path:
    """The two healthy pages, a provider per hostile mode (named after it), console and webhook."""
    broken = "".join(
        f'\n[[providers]]\nname = "{mode}"\nkind = "statuspage"\nurl = "{hostile.page_url(mode)}"\n' for mode in MODES
    )
    return world.config(interval=0.5, settings=f"timeout = {FETCH_TIMEOUT}\nmax_body_bytes = {MAX_BODY_BYTES}",
                        extra=broken)


def reports(bot: BotProcess, mode: str) -> list[str]:
    """The problems reported about one page (its INFO lines, such as a first good poll, are not)."""
    return [line for line in bot.stderr if f"provider {mode}: " in line and "| INFO |" not in line]


def assert_each_broken_page_reported(bot: BotProcess) -> None:
    for mode, reason in REASONS.items():
        lines = reports(bot, mode)
        assert lines, f"{mode} not reported:\n" + "".join(bot.stderr[-40:])
        assert reason in lines[0], lines[0]


def assert_healthy_events_once(world: World, expected: list[tuple[str, str]]) -> None:
    delivered = world.delivered()
    assert sorted(summary(p) for p in delivered) == sorted(expected)
    assert len({r.headers["webhook-id"] for r in world.receiver.requests}) == len(expected), "no duplicates"


def assert_huge_body_never_finished(hostile: HostileServer) -> None:
    hits = hostile.hits("huge")
    assert hits and not any(hit.finished for hit in hits), "the bot hung up on every 50 MB stream"
    assert max(hit.sent for hit in hits) < HUGE_BYTES / 2, [hit.sent for hit in hits]


def test_every_mode_has_an_expected_outcome():
    assert set(REASONS) == set(MODES)


def test_run_once_delivers_the_healthy_pages_and_exits_1(world, hostile):
    bot = BotProcess("run", "--once", "--config", str(config(world, hostile)), cwd=world.tmp)
    assert bot.run(timeout=90) == 1, "".join(bot.stderr)
    assert_healthy_events_once(world, HEALTHY)
    assert_each_broken_page_reported(bot)
    assert not reports(bot, "acme") and not reports(bot, "nova")
    assert_huge_body_never_finished(hostile)


def test_continuous_run_keeps_flowing_in_bounded_memory_and_stops_cleanly(world, hostile):
    with MeasuredBot("run", "--config", str(config(world, hostile)), cwd=world.tmp) as bot:
        world.expect(2)
        for mode in REASONS:
            bot.wait_for_output(f"provider {mode}: ", timeout=30)
        # A failing page is retried with backoff, not given up, and the healthy pages keep flowing.
        summary = f"{hostile.page_url('http-500')}/api/v2/summary.json"
        bot.wait_for_output(f"provider http-500: HTTP 500: {summary} (failed 2 times in a row", timeout=30)
        world.acme.update("live", "identified", "The cause is a bad deploy")
        world.publish()
        world.expect(3)
        world.settle()
        # The 50 MB stream and the gzip bomb, refused again and again, are never held in memory.
        for mode in ("huge", "gzip-bomb"):
            summary = f"{hostile.page_url(mode)}/api/v2/summary.json"
            bot.wait_for_output(f"provider {mode}: too large: {summary}: more than {MAX_BODY_BYTES} bytes (failed 3 times")
        peak_mb = bot.peak_rss_mb()
        assert bot.alive(), "".join(bot.stderr[-40:])
        assert bot.stop() == 0, "".join(bot.stderr[-40:])

    assert_healthy_events_once(world, [*HEALTHY, ("incident.status", "The cause is a bad deploy")])
    assert_each_broken_page_reported(bot)
    assert_huge_body_never_finished(hostile)
    assert peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    # Retry-After is honoured by the poller too: one poll (three documents), then a long wait.
    assert f"next try in {RETRY_AFTER}s" in reports(bot, "rate-limited")[0]
    assert len(hostile.hits("rate-limited")) <= 3
    assert not any("Traceback" in line for line in bot.stderr), "".join(bot.stderr)


@pytest.fixture
async def poll_rig(tmp_path: Path) -> AsyncIterator[tuple[Store, Fetcher]]:
    store = await Store.open(tmp_path / "state.db")
    fetcher = Fetcher(timeout=FETCH_TIMEOUT, max_bytes=MAX_BODY_BYTES)
    yield store, fetcher
    await fetcher.aclose()
    await store.close()


async def poll(poll_rig: tuple[Store, Fetcher], hostile: HostileServer, mode: str) -> list[set[str]]:
    """One poll of a fresh provider for `mode`; which channels it woke."""
    store, fetcher = poll_rig
    woken: list[set[str]] = []
    target = PollTarget(mode, mode, hostile.page_url(mode), interval=10.0, components=())
    poller = ProviderPoller(target, FORMATS["statuspage"], fetcher, store, [Channel()], "all", woken.append)
    await poller.poll_once()
    return woken


@pytest.mark.parametrize("mode", REASONS)
async def test_one_poll_of_a_broken_page_raises_only_fetch_or_parse_errors(poll_rig, hostile, mode):
    with pytest.raises((FetchError, ParseError)) as caught:
        await poll(poll_rig, hostile, mode)
    assert REASONS[mode] in str(caught.value)
    assert await poll_rig[0].next_delivery("hooks") is None, "nothing announced"


def test_crowded_pages_changing_every_poll_bound_neither_memory_nor_healthz(world, hostile):
    bot, figures = crowded.run(world, hostile, CROWDED_PAGES, lambda figures: figures.polls >= CROWDED_POLLS)
    print(figures.table())  # the figures, for `pytest -s`
    assert figures.peak_rss_mb < PEAK_RSS_LIMIT_MB, figures.table()
    assert figures.worst < HEALTHZ_LIMIT and not figures.failed_healthz, figures.table()
    assert [summary(p) for p in world.delivered()] == [("incident.status", "The cause is a bad deploy")]
    documents = ("summary.json", "incidents.json", "scheduled-maintenances.json")
    for page in range(CROWDED_PAGES):
        cuts = [line for line in bot.stderr if f"provider crowded{page}: " in line and "max_incidents" in line]
        assert sorted(document for line in cuts for document in documents if f"crowded{page}: {document} lists 16000 "
                      "incidents; reading the newest 500 ([bot] max_incidents)" in line) == sorted(documents), cuts
    assert not any("Traceback" in line for line in bot.stderr), "".join(bot.stderr)
