"""The periodic summary a running bot logs, on a fake clock."""

from __future__ import annotations

import asyncio
import logging

from bot.activity import SUMMARY_EVERY, Totals, report_activity, summary_line
from bot.metrics import Metrics
from tests.clock import FakeClock, settle


def test_the_line_says_polls_failures_events_and_deliveries():
    assert summary_line(1, 900, Totals(polls=15)) == "last 15 min: 15 polls of 1 page, 0 events, 0 messages delivered"
    assert summary_line(60, 900, Totals(polls=900, failed=2, events=1, delivered=1, undelivered=3)) == (
        "last 15 min: 900 polls of 60 pages (2 failed), 1 event, 1 message delivered, 3 given up")


def test_totals_are_read_from_the_metrics():
    metrics = Metrics()
    metrics.polls.labels("acme", "not_modified").inc(5)
    metrics.polls.labels("nova", "error").inc(2)
    metrics.events.labels("incident.created").inc()
    metrics.deliveries.labels("hooks", "delivered").inc(3)
    metrics.deliveries.labels("slack", "dead").inc()
    assert Totals.read(metrics) == Totals(polls=7, failed=2, events=1, delivered=3, undelivered=1)


async def test_each_period_logs_what_happened_in_it_and_stop_ends_it(caplog):
    metrics, clock, stop = Metrics(), FakeClock(), asyncio.Event()
    metrics.polls.labels("acme", "changed").inc(4)  # before the start: not in any period
    with caplog.at_level(logging.INFO, logger="statusbot"):
        reporting = asyncio.create_task(report_activity(metrics, 2, clock, stop))
        await clock.advance(SUMMARY_EVERY - 1)
        assert not [r for r in caplog.records if r.name == "statusbot"]
        metrics.polls.labels("acme", "changed").inc(30)
        metrics.events.labels("component.status").inc(2)
        await clock.advance(1)
        await settle(lambda: len(caplog.records) == 1, "the first summary")
        metrics.polls.labels("acme", "unchanged").inc(30)
        await clock.advance(SUMMARY_EVERY)
        await settle(lambda: len(caplog.records) == 2, "the second summary")
        stop.set()
        await asyncio.wait_for(reporting, 5)
    assert caplog.messages == [
        "last 15 min: 30 polls of 2 pages, 2 events, 0 messages delivered",
        "last 15 min: 30 polls of 2 pages, 0 events, 0 messages delivered",
    ]
