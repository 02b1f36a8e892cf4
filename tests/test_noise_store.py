"""Noise control through the store and the release worker: what waits is in the database, written
with the poll, released in one transaction, and survives a restart."""

from __future__ import annotations

import asyncio
from datetime import time

import pytest

from bot.metrics import Metrics
from bot.noise.settings import NoiseSettings, QuietHours
from bot.noise.stage import NoiseStage
from bot.noise.worker import NoiseWorker
from bot.state import Store
from bot.store_base import SqlStore
from tests.builders import component_event, incident_event
from tests.clock import FakeClock

START = 1_793_707_200.0  # 2026-11-03 12:00 UTC


class WallClock:
    """A wall clock a test moves by hand."""

    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(any_store: SqlStore) -> SqlStore:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


async def outbox(store: SqlStore, channel: str) -> list[str]:
    """The types of `channel`'s outbox rows, in the order they go out, taking them out."""
    types = []
    while (delivery := await store.next_delivery(channel)) is not None:
        types.append(delivery.event.type)
        await store.mark_delivered(delivery, None)
    return types


async def test_a_held_change_is_written_with_the_poll_and_released_when_due(store):
    clock = WallClock()
    stage = NoiseStage({"chat": NoiseSettings(hold=60.0)}, clock)
    outage = component_event("api", "operational", "major_outage")
    decisions = await store.commit_poll("acme", [], [], [("chat", outage)], True, noise=stage)
    assert decisions["chat"].counts["held"] == 1
    assert await store.pending_count("chat") == 0 and await store.waiting_counts() == {("chat", "hold"): 1}
    assert await store.next_due() == START + 60
    clock.now += 59
    assert await store.release_due(stage) == [] and await store.pending_count("chat") == 0
    clock.now += 1
    await store.release_due(stage)
    assert await outbox(store, "chat") == ["component.status"] and await store.waiting_counts() == {}


async def test_a_change_that_flapped_back_is_counted_as_suppressed(store):
    clock = WallClock()
    stage = NoiseStage({"chat": NoiseSettings(hold=60.0)}, clock)
    await store.commit_poll("acme", [], [], [("chat", component_event("api", "operational", "major_outage"))], True,
                            noise=stage)
    clock.now += 30
    await store.commit_poll("acme", [], [], [("chat", component_event("api", "major_outage", "operational"))], True,
                            noise=stage)
    assert await store.waiting_counts() == {("chat", "hold"): 2}
    clock.now += 30
    ((channel, decision),) = await store.release_due(stage)
    assert channel == "chat"
    assert decision.counts["suppressed"] == 2 and await store.pending_count("chat") == 0
    assert [row[-1] for row in await store.channel_rows()] == [2]


async def test_what_waits_survives_a_restart(tmp_path):
    clock = WallClock()
    settings = {"chat": NoiseSettings(hold=60.0, remind_every=3600.0)}
    first = await Store.open(tmp_path / "state.db")
    await first.commit_poll("acme", [], [], [("chat", component_event("api", "operational", "major_outage")),
                                             ("chat", incident_event("i1", "investigating"))], True,
                            noise=NoiseStage(settings, clock))
    assert await outbox(first, "chat") == ["incident.created"], "incidents are not held"
    await first.close()
    second = await Store.open(tmp_path / "state.db")
    try:
        clock.now += 60
        await second.release_due(NoiseStage(settings, clock))
        assert await outbox(second, "chat") == ["component.status"]
        assert await second.next_due() == START + 3600, "the reminder is still set"
    finally:
        await second.close()


async def test_an_event_above_the_quiet_bar_goes_out_after_what_its_thread_kept_back(store):
    clock = WallClock(START)  # 12:00 UTC, inside 11:00-13:00
    stage = NoiseStage({"chat": NoiseSettings(quiet_hours=QuietHours(time(11), time(13)))}, clock)
    await store.commit_poll("acme", [], [], [("chat", incident_event("i1", "investigating", "minor"))], True,
                            noise=stage)
    assert await store.pending_count("chat") == 0
    worse = incident_event("i1", "identified", "critical", n=2)
    await store.commit_poll("acme", [], [], [("chat", worse)], True, noise=stage)
    assert await outbox(store, "chat") == ["incident.created", "incident.updated"]
    assert await store.waiting_counts() == {}


async def test_the_worker_releases_on_the_injected_clock_and_wakes_the_channel(store):
    clock = FakeClock(START)
    stage = NoiseStage({"chat": NoiseSettings(mode="digest", digest_every=300.0)}, clock.time)
    woken: list[set[str]] = []
    worker = NoiseWorker(store, stage, clock, woken.append, Metrics())
    await store.commit_poll("acme", [], [], [("chat", component_event("api", "operational", "major_outage"))], True,
                            noise=stage)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await clock.run_until(START + 299)
        assert woken == [] and await store.pending_count("chat") == 0
        await clock.run_until(START + 300)
        assert woken == [{"chat"}] and await outbox(store, "chat") == ["digest"]
        assert worker.metrics.registry.get_sample_value(
            "statusbot_noise_events_total", {"channel": "chat", "action": "digested"}) == 1
    finally:
        stop.set()
        await task


async def test_a_digest_that_fell_due_while_the_bot_was_down_goes_out_at_start(store):
    clock = WallClock()
    stage = NoiseStage({"chat": NoiseSettings(mode="digest", digest_every=300.0)}, clock)
    await store.commit_poll("acme", [], [], [("chat", incident_event("i1", "investigating"))], True, noise=stage)
    clock.now += 3 * 3600  # the bot was down for hours
    worker = NoiseWorker(store, stage, FakeClock(clock.now), lambda channels: None, Metrics())
    await worker.release()
    assert await outbox(store, "chat") == ["digest"]
