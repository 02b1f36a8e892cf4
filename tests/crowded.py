"""Crowded pages beside healthy ones, against the real bot: its peak memory and /healthz latency.

Each crowded page lists 16,000 small unresolved incidents (4.3 MB) in every document and changes
on every request, so every poll of it parses and commits it all again; the healthy pages of a
`World` go on beside them, and one healthy change must be delivered meanwhile. The bot runs as
an operator runs it (`python -m bot run`, `[bot] http` on); /healthz is asked every PROBE_EVERY
seconds from here and timed; the peak RSS is the process's VmHWM. `tests/test_hostile_pages.py`
runs a few polls of it, `bench/crowded_pages.py` as long as asked.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import memory_kib
from tests.bot_process import BotProcess
from tests.fakes.hostile import HostileServer
from tests.ports import free_port
from tests.world import World

INTERVAL = 0.5  # seconds between polls of a page: the crowded ones change every time
PROBE_EVERY = 0.05  # seconds between two /healthz requests
PROBE_TIMEOUT = 5.0  # a /healthz slower than this counts as this long


class MeasuredBot(BotProcess):
    def peak_rss_mb(self) -> float:
        """VmHWM: the most memory the live process has ever had resident."""
        assert self._process is not None  # BotProcess keeps the Popen private; its pid is all we need
        return memory_kib(self._process.pid)["VmHWM"] / 1024

    def alive(self) -> bool:
        assert self._process is not None
        return self._process.poll() is None


@dataclass
class Figures:
    pages: int
    peak_rss_mb: float = 0.0
    healthz: list[float] = field(default_factory=list)  # seconds, each answer
    failed_healthz: int = 0  # answers other than 200
    polls: int = 0  # changed polls of the least polled crowded page
    seconds: float = 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.healthz)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else 0.0

    @property
    def worst(self) -> float:
        return max(self.healthz, default=0.0)

    def table(self) -> str:
        return (f"crowded pages {self.pages} (4.3 MB, 16,000 incidents, changed every poll), "
                f"{self.polls} polls of each in {self.seconds:.1f}s\n"
                f"peak RSS {self.peak_rss_mb:.0f} MB\n"
                f"/healthz {len(self.healthz)} answers ({self.failed_healthz} not 200): p50 {self.percentile(0.5):.3f}s, "
                f"p99 {self.percentile(0.99):.3f}s, worst {self.worst:.3f}s")


def config(world: World, hostile: HostileServer, pages: int, port: int) -> Path:
    """The world's healthy pages (nothing announced at first sight) and `pages` crowded ones."""
    crowded = "".join(
        f'\n[[providers]]\nname = "crowded{n}"\nkind = "statuspage"\nurl = "{hostile.page_url("crowded")}/{n}"\n'
        for n in range(pages)
    )
    return world.config(first_run="none", interval=INTERVAL, settings=f'http = "127.0.0.1:{port}"', extra=crowded)


def polls_of_each(hostile: HostileServer, pages: int) -> int:
    """How many times the least polled crowded page has been read (its summary.json)."""
    paths = [hit.path for hit in hostile.hits("crowded") if hit.finished]
    return min(paths.count(f"/crowded/{n}/api/v2/summary.json") for n in range(pages))


def run(world: World, hostile: HostileServer, pages: int, enough: Callable[[Figures], bool]) -> tuple[MeasuredBot, Figures]:
    """Start the bot, probe /healthz until `enough` (and one healthy change was delivered), stop it.
    The bot is returned stopped, for its log."""
    port = free_port()
    figures = Figures(pages)
    with MeasuredBot("run", "--config", str(config(world, hostile, pages, port)), cwd=world.tmp) as bot:
        bot.wait_for_output("serving /healthz")
        bot.wait_for_output("provider acme: first poll of this run succeeded")
        started = time.monotonic()
        world.acme.update("live", "identified", "The cause is a bad deploy")
        world.publish()
        while not (enough(figures) and world.receiver.requests):
            _probe(f"http://127.0.0.1:{port}/healthz", figures)
            figures.polls = polls_of_each(hostile, pages)
            figures.seconds = time.monotonic() - started
            assert bot.alive(), "".join(bot.stderr[-40:])
            time.sleep(PROBE_EVERY)
        figures.peak_rss_mb = bot.peak_rss_mb()
        assert bot.stop() == 0, "".join(bot.stderr[-40:])
    return bot, figures


def _probe(url: str, figures: Figures) -> None:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as answer:
            ok = answer.status == 200
    except OSError:  # refused, timed out, or an HTTP error status
        ok = False
    figures.healthz.append(min(time.monotonic() - started, PROBE_TIMEOUT))
    figures.failed_healthz += not ok
