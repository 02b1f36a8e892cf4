"""What a running bot says now and then: a short summary of its polls, events and deliveries.

A healthy bot is otherwise silent; this line tells an operator that it is alive and working.
The figures are the metrics' own counters, read at each summary and told as differences.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import Metric

from bot.clock import Clock
from bot.metrics import Metrics

log = logging.getLogger("statusbot")

SUMMARY_EVERY = 900.0  # seconds: 96 lines a day


@dataclass(frozen=True)
class Totals:
    """The counters a summary tells, since the start."""

    polls: int = 0
    failed: int = 0
    events: int = 0
    delivered: int = 0
    undelivered: int = 0  # given up, or the channel disabled

    @classmethod
    def read(cls, metrics: Metrics) -> Totals:
        polls = _by_label(metrics.polls.collect(), "result")
        deliveries = _by_label(metrics.deliveries.collect(), "outcome")
        return cls(
            polls=sum(polls.values()),
            failed=polls.get("error", 0),
            events=sum(_by_label(metrics.events.collect(), "type").values()),
            delivered=deliveries.get("delivered", 0),
            undelivered=deliveries.get("dead", 0) + deliveries.get("disabled", 0),
        )

    def since(self, earlier: Totals) -> Totals:
        return Totals(self.polls - earlier.polls, self.failed - earlier.failed, self.events - earlier.events,
                      self.delivered - earlier.delivered, self.undelivered - earlier.undelivered)


def summary_line(pages: int, seconds: float, totals: Totals) -> str:
    """e.g. "last 15 min: 900 polls of 60 pages (2 failed), 3 events, 3 messages delivered"."""
    failed = f" ({totals.failed} failed)" if totals.failed else ""
    undelivered = f", {totals.undelivered} given up" if totals.undelivered else ""
    return (f"last {seconds / 60:.0f} min: {totals.polls} polls of {pages} page{'' if pages == 1 else 's'}{failed}, "
            f"{totals.events} event{'' if totals.events == 1 else 's'}, "
            f"{totals.delivered} message{'' if totals.delivered == 1 else 's'} delivered{undelivered}")


async def report_activity(metrics: Metrics, pages: int, clock: Clock, stop: asyncio.Event,
                          every: float = SUMMARY_EVERY) -> None:
    """Log a summary line every `every` seconds of `clock` until `stop`."""
    before = Totals.read(metrics)
    while not await clock.wait(stop, every):
        now = Totals.read(metrics)
        log.info("%s", summary_line(pages, every, now.since(before)))
        before = now


def _by_label(families: Iterable[Metric], label: str) -> dict[str, int]:
    """A counter's totals by one label, summed over the others."""
    totals: dict[str, int] = {}
    for family in families:
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = sample.labels[label]
                totals[key] = totals.get(key, 0) + int(sample.value)
    return totals
